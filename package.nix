# nixbench, packaged the nixpkgs way: `nix build` / `nix run` from this repository.
{ lib, rustPlatform }:
rustPlatform.buildRustPackage {
  pname = "nixbench";
  version = "0.1.0";

  src = lib.cleanSource ./.;
  cargoLock.lockFile = ./Cargo.lock;

  # The test suite drives tmux and a real Nix store; run it with scripts/test instead.
  doCheck = false;

  meta = {
    description = "Terminal workbench for Nix projects: packages, dependency graphs, live builds, flakes";
    license = lib.licenses.mit;
    mainProgram = "nixbench";
    platforms = lib.platforms.unix;
  };
}
