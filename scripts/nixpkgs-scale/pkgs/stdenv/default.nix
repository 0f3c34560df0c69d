# stdenv for the generated tree: mkDerivation takes a set or `finalAttrs: { ... }`, supports
# overrideAttrs, fills in outputs, dependencies and env, checks meta, and extends the result like
# nixpkgs does. Builds with /bin/sh and builder.sh, as the fixture's stdenv does.
{ lib, system, config ? { } }:
let
  inherit (builtins) isFunction removeAttrs;

  hostPlatform = lib.systems.elaborate system;
  checkMeta = import ./check-meta.nix { inherit lib config hostPlatform; };

  getDev = drv: if drv == null then null else drv.dev or drv;

  makeDerivationExtensible = rattrs:
    let
      args = rattrs (args // { inherit finalPackage overrideAttrs; });
      finalPackage = mkDerivationSimple overrideAttrs args;
      overrideAttrs = f0:
        makeDerivationExtensible (lib.fixedPoints.extends (lib.fixedPoints.toExtension f0) rattrs);
    in
    finalPackage;

  mkDerivationSimple = overrideAttrs: attrs:
    let
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      outputs = attrs.outputs or [ "out" ];
      passthru = attrs.passthru or { };
      pos =
        if attrs ? pos then attrs.pos
        else if attrs.meta or { } ? description then builtins.unsafeGetAttrPos "description" attrs.meta
        else if attrs ? pname then builtins.unsafeGetAttrPos "pname" attrs
        else builtins.unsafeGetAttrPos "name" attrs;
      deps = kind: map getDev (attrs.${kind} or [ ]);
      derivationArg =
        removeAttrs attrs [ "meta" "passthru" "pos" "env" "finalPackage" "overrideAttrs" "doCheck" "doInstallCheck" ]
        // {
          inherit name outputs system;
          builder = "/bin/sh";
          args = [ ./builder.sh ];
          nativeBuildInputs = deps "nativeBuildInputs";
          buildInputs = deps "buildInputs";
          propagatedBuildInputs = deps "propagatedBuildInputs";
          runtimeDeps = deps "buildInputs" ++ deps "propagatedBuildInputs";
          buildTimeDeps = deps "nativeBuildInputs";
          doCheck = attrs.doCheck or false;
          strictDeps = attrs.strictDeps or true;
          __ignoreNulls = true;
        }
        // (attrs.env or { });
      validity = checkMeta.assertValidity attrs;
      meta = checkMeta.commonMeta { inherit validity attrs pos outputs; };
    in
    lib.customisation.extendDerivation validity.handled
      ({ inherit meta passthru overrideAttrs; inherit (attrs) pname version; } // passthru)
      (derivation derivationArg);
in
{
  inherit hostPlatform system;
  buildPlatform = hostPlatform;
  targetPlatform = hostPlatform;
  isLinux = hostPlatform.isLinux;
  isDarwin = hostPlatform.isDarwin;
  shell = "/bin/sh";
  mkDerivation = fnOrAttrs:
    makeDerivationExtensible (if isFunction fnOrAttrs then fnOrAttrs else _: fnOrAttrs);
}
