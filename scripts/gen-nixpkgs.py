#!/usr/bin/env python3
"""Generates a nixpkgs-shaped tree at scale for benchmarks: the nixpkgs-mini skeleton (stdenv,
top-level, lib) plus N pkgs/by-name packages and M extra lib functions with RFC 145 doc comments.

Usage: gen-nixpkgs.py OUT_DIR [PACKAGES] [LIB_FUNCTIONS] [--realistic] [--layout=L] [--style=S]

--layout=by-name (default) puts every package in pkgs/by-name/XX/NAME/package.nix; --layout=categories
puts them where older nixpkgs does (pkgs/development/libraries/NAME/default.nix, pkgs/tools/...,
several levels deep) with one `NAME = callPackage ../CATEGORY/NAME { };` line each in
all-packages.nix; --layout=mixed does half of each. --style=rec makes most package files
`mkDerivation rec { ... }` (default: mostly `finalAttrs:`), --style=plain most of them neither.

Without --realistic, packages are small files over the fixture's miniature stdenv: the cheapest
tree nix-env can evaluate. With --realistic, scripts/nixpkgs-scale is laid over the tree (callPackage
with makeOverridable, overlays, mkDerivation with finalAttrs and meta checks, licenses, maintainers,
platforms) and package files look like nixpkgs' own: fetchFromGitHub sources, dependencies, phases,
`finalAttrs:` or `rec`, `''` long descriptions, license lists, maintainers."""
import base64, os, random, shutil, sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
realistic = "--realistic" in sys.argv
options = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
layout = options.get("layout", "by-name")
style_weights = {"final": [5, 3, 2], "rec": [1, 7, 2], "plain": [1, 2, 7]}[options.get("style", "final")]
categories = ["development/libraries", "development/tools", "development/tools/misc", "tools/misc",
              "tools/networking", "tools/text", "applications/misc", "applications/editors",
              "applications/networking/cluster", "servers/http", "os-specific/linux", "games",
              "data/fonts", "misc", "shells", "tools/security", "tools/archivers"]
out = args[0]
packages = int(args[1]) if len(args) > 1 else 120_000
functions = int(args[2]) if len(args) > 2 else 2_000
here = os.path.dirname(os.path.abspath(__file__))
mini = os.path.join(here, "..", "tests", "fixtures", "nixpkgs-mini")
shutil.rmtree(out, ignore_errors=True)
shutil.copytree(mini, out)
if realistic:
    shutil.copytree(os.path.join(here, "nixpkgs-scale"), out, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("README.md"))
random.seed(7)
words = "fast tiny secure modern portable simple json yaml http terminal image audio video graph file network compression parser editor shell git build test crypto database cache server client".split()
syllables = ["ka", "lo", "mi", "nu", "ra", "te", "zo", "vi", "pe", "qu", "xi", "bo", "da", "fu", "gi", "ho"]

# Licenses: (attribute, SPDX id, free). Most packages use the first few, as in nixpkgs.
licenses = [("mit", "MIT", True), ("asl20", "Apache-2.0", True), ("gpl3Plus", "GPL-3.0-or-later", True),
            ("bsd3", "BSD-3-Clause", True), ("gpl2Plus", "GPL-2.0-or-later", True), ("lgpl21Plus", "LGPL-2.1-or-later", True),
            ("mpl20", "MPL-2.0", True), ("isc", "ISC", True), ("bsd2", "BSD-2-Clause", True), ("zlib", "Zlib", True),
            ("unfree", None, False), ("unfreeRedistributable", None, False)]
for i in range(120):
    licenses.append((f"license{i}", f"LicenseRef-Gen-{i}", i % 9 != 0))
common_licenses = [l[0] for l in licenses[:10]]
maintainers = []
for i in range(4000):
    handle = "".join(random.choice(syllables) for _ in range(3)) + str(i)
    maintainers.append(handle)
platform_lists = ["unix", "unix", "unix", "linux", "linux", "all", "darwin"]


def package_file(name, deps):
    """A package.nix the way nixpkgs writes them, in one of its common shapes."""
    version = f"{random.randint(0, 9)}.{random.randint(0, 30)}.{random.randint(0, 9)}"
    desc = " ".join(random.choice(words) for _ in range(6)).capitalize()
    style = random.choices(["final", "rec", "plain"], style_weights)[0]
    v = "finalAttrs.version" if style == "final" else "version"
    native = [d for d in deps[:2]]
    build = [d for d in deps[2:]]
    args = ["lib", "stdenv", "fetchFromGitHub"] + deps
    lines = ["{"] + [f"  {a}," for a in args] + ["}:", ""]
    head = {"final": "stdenv.mkDerivation (finalAttrs: {", "rec": "stdenv.mkDerivation rec {", "plain": "stdenv.mkDerivation {"}[style]
    lines += [head, f'  pname = "{name}";', f'  version = "{version}";', ""]
    if style != "plain":
        lines += ["  src = fetchFromGitHub {", f'    owner = "{name.split("-")[0]}";', f'    repo = "{name}";',
                  f'    tag = "v${{{v}}}";', f'    hash = "sha256-{base64.b64encode(random.getrandbits(256).to_bytes(32, "big")).decode()}";', "  };", ""]
    if native:
        lines += ["  nativeBuildInputs = [", *[f"    {d}" for d in native], "  ];", ""]
    if build:
        lines += ["  buildInputs = [", *[f"    {d}" for d in build], "  ];", ""]
    if random.random() < 0.3:
        lines += ['  configureFlags = [ "--enable-shared" "--disable-static" ];', ""]
    if random.random() < 0.2:
        lines += ["  postPatch = ''", "    substituteInPlace Makefile \\", '      --replace-fail "/usr/local" "$out"', "  '';", ""]
    lines += ["  doCheck = true;", ""]
    if random.random() < 0.1:
        lines += ["  passthru.tests.version = finalAttrs.finalPackage;" if style == "final" else "  passthru.updateScript = null;", ""]
    with_lib = random.random() < 0.15
    lines.append("  meta = with lib; {" if with_lib else "  meta = {")
    lines.append(f'    description = "{desc}";')
    if random.random() < 0.25:
        lines += ["    longDescription = ''", f"      {name} is a {' '.join(random.choice(words) for _ in range(8))}.",
                  f"      It is {' '.join(random.choice(words) for _ in range(6))}.", "    '';"]
    lines.append(f'    homepage = "https://github.com/{name.split("-")[0]}/{name}";')
    if style != "plain":
        lines.append(f'    changelog = "https://github.com/{name.split("-")[0]}/{name}/releases/tag/v${{{v}}}";')
    lic = "licenses" if with_lib else "lib.licenses"
    r = random.random()
    if r < 0.1:
        lines.append(f"    license = with {lic}; [ {random.choice(common_licenses)} {random.choice(common_licenses)} ];")
    elif r < 0.13:
        lines.append(f"    license = {lic}.{random.choice(licenses)[0]};")
    else:
        lines.append(f"    license = {lic}.{random.choice(common_licenses)};")
    ms = " ".join(random.sample(maintainers, random.randint(0, 3)))
    lines.append(f"    maintainers = with {'maintainers' if with_lib else 'lib.maintainers'}; [ {ms} ];")
    lines.append(f"    platforms = {'platforms' if with_lib else 'lib.platforms'}.{random.choice(platform_lists)};")
    if random.random() < 0.7:
        lines.append(f'    mainProgram = "{name.split("-")[0][:4]}";')
    lines += ["  };", "})" if style == "final" else "}"]
    return "\n".join(lines) + "\n"


seen = set(os.listdir(os.path.join(out, "pkgs", "by-name", "he")))
generated = []
call_lines = []
for i in range(packages):
    while True:
        name = "".join(random.choice(syllables) for _ in range(random.randint(2, 4))) + ("-" + random.choice(words) if random.random() < 0.3 else "")
        if name not in seen:
            seen.add(name)
            break
    in_categories = layout == "categories" or (layout == "mixed" and i % 2 == 1)
    if in_categories:
        category = random.choice(categories)
        d = os.path.join(out, "pkgs", category, name)
        call_lines.append(f"      {name} = callPackage ../{category}/{name} {{ }};")
    else:
        d = os.path.join(out, "pkgs", "by-name", name[:2], name)
    os.makedirs(d, exist_ok=True)
    if realistic:
        # Dependencies among packages generated earlier, so the set stays acyclic.
        deps = random.sample(generated[-5000:], min(len(generated), random.choice([0, 1, 2, 2, 3, 4, 5])))
        text = package_file(name, deps)
        generated.append(name)
    else:
        desc = " ".join(random.choice(words) for _ in range(6)).capitalize()
        program = name.split("-")[0][:4]
        text = f'''{{ stdenv }}:
stdenv.mkDerivation {{
  pname = "{name}";
  version = "{random.randint(0, 9)}.{random.randint(0, 30)}.{random.randint(0, 9)}";
  meta = {{
    description = "{desc}";
    homepage = "https://example.org/{name}";
    license = "MIT";
    mainProgram = "{program}";
  }};
}}
'''
    with open(os.path.join(d, "default.nix" if in_categories else "package.nix"), "w") as f:
        f.write(text)
if call_lines:
    top = os.path.join(out, "pkgs", "top-level", "all-packages.nix")
    with open(top) as f:
        text = f.read()
    anchor = "figlet = callPackage ../tools/misc/figlet { };"
    assert anchor in text
    text = text.replace(anchor, anchor + "\n" + "\n".join(call_lines))
    with open(top, "w") as f:
        f.write(text)
with open(os.path.join(out, "lib", "generated.nix"), "w") as f:
    f.write("{ lib }:\n{\n")
    for i in range(functions):
        name = random.choice(["map", "fold", "filter", "concat", "split", "merge", "gen", "to"]) + random.choice(["Attrs", "List", "String", "Path", "Set"]) + f"V{i}"
        f.write(f'''  /**
    Generated function {i}: {" ".join(random.choice(words) for _ in range(8))}.

    # Type

    ```
    {name} :: a -> b
    ```

    # Examples
    :::{{.example}}
    ```nix
    {name} 1
    => 1
    ```
    :::
  */
  {name} = x: x;

''')
    f.write("}\n")
extra = ["generated = import ./generated.nix { lib = self; };"]
if realistic:
    with open(os.path.join(out, "lib", "licenses.nix"), "w") as f:
        f.write("{ lib }:\nbuiltins.mapAttrs\n  (shortName: l: { inherit shortName; free = true; redistributable = l.free or true; deprecated = false; }\n"
                "    // l // (if l ? spdxId then { url = \"https://spdx.org/licenses/${l.spdxId}.html\"; } else { }))\n{\n")
        for attr, spdx, free in licenses:
            body = f'spdxId = "{spdx}"; ' if spdx else ""
            body += f'fullName = "{attr} license";' + ("" if free else " free = false;")
            f.write(f"  {attr} = {{ {body} }};\n")
        f.write("}\n")
    os.makedirs(os.path.join(out, "maintainers"), exist_ok=True)
    with open(os.path.join(out, "maintainers", "maintainer-list.nix"), "w") as f:
        f.write("{\n")
        for i, handle in enumerate(maintainers):
            f.write(f'  {handle} = {{\n    name = "{handle.capitalize()} Example";\n    email = "{handle}@example.org";\n'
                    f'    github = "{handle}";\n    githubId = {100000 + i};\n  }};\n')
        f.write("}\n")
    extra += ["fixedPoints = import ./fixed-points.nix { lib = self; };",
              "customisation = import ./customisation.nix { lib = self; };",
              "systems = import ./systems.nix { lib = self; };",
              "platforms = import ./platforms.nix { lib = self; };",
              "licenses = import ./licenses.nix { lib = self; };",
              "maintainers = import ../maintainers/maintainer-list.nix;",
              "inherit (self.fixedPoints) fix extends;",
              "inherit (self.customisation) makeOverridable callPackageWith;"]
with open(os.path.join(out, "lib", "default.nix")) as f:
    text = f.read()
anchor = "meta = import ./meta.nix { lib = self; };"
assert anchor in text
text = text.replace(anchor, anchor + "".join("\n    " + line for line in extra))
with open(os.path.join(out, "lib", "default.nix"), "w") as f:
    f.write(text)
print(f"{out}: {packages} packages, {functions} generated lib functions{' (realistic evaluation layer)' if realistic else ''}", file=sys.stderr)
