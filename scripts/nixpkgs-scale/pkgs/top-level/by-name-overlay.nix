# Every pkgs/by-name/<shard>/<name>/package.nix, called with callPackage.
baseDirectory:
let
  inherit (builtins) attrNames concatMap listToAttrs readDir;
  shards = attrNames (readDir baseDirectory);
  entries = concatMap
    (shard: map
      (name: { inherit name; value = baseDirectory + "/${shard}/${name}/package.nix"; })
      (attrNames (readDir (baseDirectory + "/${shard}"))))
    shards;
  files = listToAttrs entries;
in
final: prev: builtins.mapAttrs (name: file: final.callPackage file { }) files
