# A fixed-output download, as nixpkgs' fetchurl makes one; fetchFromGitHub builds its URL.
{ lib, stdenv }:
rec {
  fetchurl = { url, hash ? "", name ? baseNameOf url, ... }@args:
    derivation {
      inherit name url;
      inherit (stdenv) system;
      builder = "/bin/sh";
      args = [ "-c" "echo offline; exit 1" ];
      outputHashMode = "flat";
      outputHash = hash;
    };

  fetchFromGitHub = { owner, repo, rev ? null, tag ? null, hash ? "", ... }:
    let ref = if tag != null then tag else rev; in
    fetchurl {
      name = "source";
      url = "https://github.com/${owner}/${repo}/archive/${ref}.tar.gz";
      inherit hash;
    };
}
