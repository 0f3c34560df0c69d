{
  description = "greeter: a small demo project for nixbench";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
    flake-utils.url = "github:numtide/flake-utils";
    # This input brings its own nixpkgs; a `follows` would share ours instead.
    treefmt-nix.url = "github:numtide/treefmt-nix";
  };

  outputs = { self, nixpkgs, flake-utils, ... }:
    flake-utils.lib.eachDefaultSystem (system:
      let
        pkgs = nixpkgs.legacyPackages.${system};
      in
      {
        packages.default = pkgs.greeter;

        devShells.default = pkgs.mkShell {
          packages = with pkgs; [ ripgrep jq-mini ];
          nativeBuildInputs = [ pkgs.python3 ];
          shellHook = ''
            echo "Welcome to the greeter dev shell"
          '';
        };
      });
}
