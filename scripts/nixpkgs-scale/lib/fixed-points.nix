{ lib }:
{
  /**
    The fixed point of `f`: the value `x` with `x == f x`, found lazily.

    # Type

    ```
    fix :: (a -> a) -> a
    ```

    # Examples
    :::{.example}
    ```nix
    fix (self: { a = 1; b = self.a + 1; })
    => { a = 1; b = 2; }
    ```
    :::
  */
  fix = f: let x = f x; in x;

  /**
    Lays `overlay` over the function `f`; both see the final result, the overlay also the
    previous one.

    # Type

    ```
    extends :: (a -> a -> a) -> (a -> a) -> a -> a
    ```
  */
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;

  /**
    Composes a list of overlays into one, applied left to right.

    # Type

    ```
    composeManyExtensions :: [ (a -> a -> a) ] -> a -> a -> a
    ```
  */
  composeManyExtensions = builtins.foldl'
    (f: g: final: prev:
      let
        fApplied = f final prev;
        prev' = prev // fApplied;
      in
      fApplied // g final prev')
    (final: prev: { });

  /**
    An overlay from a value that may be a set, a function of `prev`, or of `final` and `prev`.

    # Type

    ```
    toExtension :: (a | (a -> a) | (a -> a -> a)) -> a -> a -> a
    ```
  */
  toExtension = f:
    if builtins.isFunction f then
      final: prev:
        let fPrev = f prev; in
        if builtins.isFunction fPrev then f final prev else fPrev
    else
      final: prev: f;
}
