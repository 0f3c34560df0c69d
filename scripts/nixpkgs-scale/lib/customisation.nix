{ lib }:
let
  inherit (builtins) attrNames filter functionArgs head intersectAttrs isAttrs;

  isFunction = f: builtins.isFunction f || (f ? __functor && isFunction (f.__functor f));

  setFunctionArgs = f: args: { __functor = self: f; __functionArgs = args; };

  fnArgs = f:
    if f ? __functor then f.__functionArgs or (fnArgs (f.__functor f)) else functionArgs f;
in
rec {
  inherit isFunction setFunctionArgs;

  /**
    The formal arguments of a function, also of a functor made by `setFunctionArgs`: each name
    maps to whether it has a default.

    # Type

    ```
    functionArgs :: (a -> b) -> { [string] :: bool }
    ```
  */
  functionArgs = fnArgs;

  /**
    Wraps a package function so that its result can be called again with changed arguments
    through `.override`.

    # Type

    ```
    makeOverridable :: (AttrSet -> a) -> AttrSet -> a
    ```

    # Examples
    :::{.example}
    ```nix
    (makeOverridable ({ a, b }: { sum = a + b; }) { a = 1; b = 2; }).override { b = 10; }
    => { sum = 11; override = «lambda»; overrideDerivation = «lambda»; }
    ```
    :::
  */
  makeOverridable = f:
    let
      overrideArgs = origArgs: newArgs:
        origArgs // (if isFunction newArgs then newArgs origArgs else newArgs);
      wrapped = origArgs:
        let
          result = f origArgs;
          overrideWith = newArgs: wrapped (overrideArgs origArgs newArgs);
        in
        if isAttrs result then
          result // {
            override = overrideWith;
            overrideDerivation = modify: lib.customisation.overrideDerivation result modify;
          }
          // (if result ? overrideAttrs then {
            overrideAttrs = fdrv: lib.customisation.makeOverridable (args: (wrapped args).overrideAttrs fdrv) origArgs;
          } else { })
        else if isFunction result then
          setFunctionArgs result (fnArgs result) // { override = overrideWith; }
        else
          result;
    in
    setFunctionArgs wrapped (fnArgs f);

  /**
    A derivation whose arguments went through `modify`; the older, lower-level cousin of
    `overrideAttrs`.

    # Type

    ```
    overrideDerivation :: Derivation -> (AttrSet -> AttrSet) -> Derivation
    ```
  */
  overrideDerivation = drv: modify:
    let newDrv = derivation (drv.drvAttrs // modify drv); in
    newDrv // { meta = drv.meta or { }; passthru = drv.passthru or { }; };

  /**
    Calls a package function (or the file that holds one) with the arguments it asks for, taken
    from `autoArgs`, and `args` on top; fails with the missing names otherwise.

    # Type

    ```
    callPackageWith :: AttrSet -> (AttrSet -> a | path) -> AttrSet -> a
    ```
  */
  callPackageWith = autoArgs: fn: args:
    let
      f = if isFunction fn then fn else import fn;
      fargs = fnArgs f;
      allArgs = intersectAttrs fargs autoArgs // args;
      missing = filter (name: !fargs.${name} && !(allArgs ? ${name})) (attrNames fargs);
    in
    if missing == [ ] then
      makeOverridable f allArgs
    else
      abort "callPackage: ${toString fn} asks for `${head missing}`, which the package set does not have";

  /**
    Like `lib.customisation.extendDerivation` in spirit: `passthru` merged into every output of
    `drv`, with `drvPath` and `outPath` guarded by `condition`.

    # Type

    ```
    extendDerivation :: bool -> AttrSet -> Derivation -> Derivation
    ```
  */
  extendDerivation = condition: passthru: drv:
    let
      outputs = drv.outputs or [ "out" ];
      commonAttrs = drv // builtins.listToAttrs outputsList // { all = map (x: x.value) outputsList; } // passthru;
      outputToAttrListElement = outputName: {
        name = outputName;
        value = commonAttrs // {
          inherit (drv.${outputName}) type outputName;
          outputSpecified = true;
          drvPath = assert condition; drv.${outputName}.drvPath;
          outPath = assert condition; drv.${outputName}.outPath;
        };
      };
      outputsList = map outputToAttrListElement outputs;
    in
    commonAttrs // {
      drvPath = assert condition; drv.drvPath;
      outPath = assert condition; drv.outPath;
    };
}
