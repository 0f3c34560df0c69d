# The package set of the generated tree: a fixed point of overlays (by-name first, then the
# packages called by hand below, then the user's), as nixpkgs builds it.
{ lib, system, config ? { }, overlays ? [ ] }:
let
  fetchers = final: import ../build-support/fetchurl.nix { inherit lib; inherit (final) stdenv; };

  base = final: {
    inherit lib config;
    stdenv = import ../stdenv { inherit lib system config; };
    callPackage = lib.customisation.callPackageWith final;
    inherit (fetchers final) fetchurl fetchFromGitHub;
  };

  handWritten = final: prev:
    let callPackage = final.callPackage; in
    {
      python3 = callPackage ../development/interpreters/python { };
      python3Packages = callPackage ./python-packages.nix { python = final.python3; };

      figlet = callPackage ../tools/misc/figlet { };
      greeter-static = callPackage ../by-name/gr/greeter/package.nix { hello = final.hello; };
    };

  overlay = lib.fixedPoints.composeManyExtensions
    ([ (import ./by-name-overlay.nix ../by-name) handWritten ] ++ overlays);
in
lib.fixedPoints.fix (lib.fixedPoints.extends overlay base)
