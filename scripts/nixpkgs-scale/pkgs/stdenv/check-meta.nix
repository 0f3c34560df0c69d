# Decides whether a package may be used on the host platform with this configuration, and builds
# the `meta` set nix-env prints: the package's own fields plus available/unfree/insecure/position.
{ lib, config, hostPlatform }:
let
  inherit (builtins) all any elem isList isString;

  allowUnfree = config.allowUnfree or false;
  allowBroken = config.allowBroken or false;
  allowUnsupportedSystem = config.allowUnsupportedSystem or false;
  allowInsecure = config.allowInsecure or false;

  licensesOf = attrs: let l = attrs.meta.license or [ ]; in if isList l then l else [ l ];

  hasUnfreeLicense = attrs: any (l: !(l.free or true)) (licensesOf attrs);
  isMarkedBroken = attrs: attrs.meta.broken or false;
  isMarkedInsecure = attrs: (attrs.meta.knownVulnerabilities or [ ]) != [ ];

  platformMatch = platform: elem:
    if isString elem then platform.system == elem
    else all (name: (platform.parsed.${name}.name or null) == elem.${name}) (builtins.attrNames elem);

  availableOn = platform: attrs:
    any (platformMatch platform) (attrs.meta.platforms or lib.platforms.all)
    && !(any (platformMatch platform) (attrs.meta.badPlatforms or [ ]));

  nameOf = attrs: attrs.name or "${attrs.pname or "«name-missing»"}-${attrs.version or "«version-missing»"}";

  checkValidity = attrs:
    if hasUnfreeLicense attrs && !allowUnfree then
      { valid = "no"; reason = "unfree"; errormsg = "has an unfree license, refusing to evaluate"; }
    else if isMarkedBroken attrs && !allowBroken then
      { valid = "no"; reason = "broken"; errormsg = "is marked as broken, refusing to evaluate"; }
    else if !availableOn hostPlatform attrs && !allowUnsupportedSystem then
      { valid = "no"; reason = "unsupported"; errormsg = "is not available on ${hostPlatform.system}, refusing to evaluate"; }
    else if isMarkedInsecure attrs && !allowInsecure then
      { valid = "no"; reason = "insecure"; errormsg = "is marked as insecure, refusing to evaluate"; }
    else
      { valid = "yes"; };
in
{
  inherit availableOn platformMatch;

  assertValidity = attrs:
    let validity = checkValidity attrs; in
    validity // {
      handled =
        if validity.valid == "yes" then true
        else throw "Package ‘${nameOf attrs}’ ${validity.errormsg}.";
    };

  commonMeta = { validity, attrs, pos ? null, outputs ? [ "out" ] }:
    {
      name = nameOf attrs;
      outputsToInstall = if elem "bin" outputs then [ "bin" ] else [ (builtins.head outputs) ];
    }
    // (if pos == null then { } else { position = "${pos.file}:${toString pos.line}"; })
    // (attrs.meta or { })
    // {
      available = validity.valid != "no";
      unfree = hasUnfreeLicense attrs;
      broken = isMarkedBroken attrs;
      insecure = isMarkedInsecure attrs;
    };
}
