#!/usr/bin/env python3
"""Synthesises the JSON of `nix-env -qaP --json --meta` at nixpkgs' size, for benchmarks: attribute
paths the way nixpkgs names them (top level, python3Packages.*, haskellPackages.*, perlPackages.*,
nodePackages.*, ...), descriptions from a vocabulary, and meta the way nix-env prints it (license
objects, maintainer objects, platform lists, position, outputsToInstall, availability flags).

Usage: gen-nixenv-json.py OUT [ENTRIES] [--channel] [--search]
  --channel   wrap it as a channel's packages.json ({"version": 2, "packages": {...}})
  --search    print the shape of `nix search --json` instead (legacyPackages.SYSTEM.ATTR keys)
Also prints `name description` lines (what fzf is given in the benchmark) to OUT.lines."""
import json, random, sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = args[0]
count = int(args[1]) if len(args) > 1 else 150_000
channel = "--channel" in sys.argv
search = "--search" in sys.argv
random.seed(11)

syllables = ["ka", "lo", "mi", "nu", "ra", "te", "zo", "vi", "pe", "qu", "xi", "bo", "da", "fu", "gi",
             "ho", "ar", "en", "ix", "on", "ul", "ly", "st", "tr"]
stems = ("lib ssl curl json yaml http grpc proto image audio video font gtk qt sdl zlib xml regex "
         "term shell git crypt hash mail dns tls ssh fs net db sql cache log lint fmt parse test "
         "bench math plot graph tree text pdf doc web socket rpc queue").split()
words = ("fast tiny secure modern portable simple lightweight extensible cross-platform "
         "command-line graphical interactive terminal library tool utility framework parser "
         "editor viewer client server daemon bindings implementation toolkit collection for "
         "of and the with a an to in JSON YAML HTTP images audio video files networks "
         "compression databases shells Git builds tests cryptography caching monitoring "
         "Python Rust Haskell Perl JavaScript Go OCaml Lua written data streams").split()
sets = [("", 45), ("python3Packages.", 18), ("haskellPackages.", 12), ("perlPackages.", 5),
        ("nodePackages.", 5), ("rPackages.", 6), ("emacsPackages.", 4), ("ocamlPackages.", 2),
        ("luaPackages.", 1), ("vimPlugins.", 2)]
licenses = [("MIT", "mit", "MIT License", True), ("Apache-2.0", "asl20", "Apache License 2.0", True),
            ("GPL-3.0-or-later", "gpl3Plus", "GNU General Public License v3.0 or later", True),
            ("BSD-3-Clause", "bsd3", "BSD 3-clause \"New\" or \"Revised\" License", True),
            ("GPL-2.0-or-later", "gpl2Plus", "GNU General Public License v2.0 or later", True),
            ("LGPL-2.1-or-later", "lgpl21Plus", "GNU Lesser General Public License v2.1 or later", True),
            ("MPL-2.0", "mpl20", "Mozilla Public License 2.0", True), ("ISC", "isc", "ISC License", True),
            (None, "unfree", "Unfree", False)]
platforms = ["x86_64-linux", "aarch64-linux", "i686-linux", "armv7l-linux", "riscv64-linux",
             "powerpc64le-linux", "x86_64-darwin", "aarch64-darwin", "x86_64-freebsd",
             "aarch64-freebsd", "i686-freebsd", "x86_64-netbsd", "x86_64-openbsd", "x86_64-solaris",
             "x86_64-cygwin", "i686-cygwin", "armv6l-linux", "mipsel-linux", "s390x-linux",
             "loongarch64-linux", "microblaze-linux", "m68k-linux"]
platform_lists = [platforms[:22]] + [platforms[:10]] * 2 + [platforms[:4]] * 3 + [platforms[:2]] * 3 + [platforms[6:8]]
people = []
for i in range(3000):
    handle = "".join(random.choice(syllables) for _ in range(random.randint(2, 4))) + str(i % 97)
    people.append({"email": f"{handle}@example.org", "github": handle, "githubId": 10000 + i,
                   "name": handle.capitalize() + " " + random.choice(syllables).upper()})


def name():
    n = random.randint(1, 3)
    parts = ["".join(random.choice(syllables) for _ in range(random.randint(1, 3))) for _ in range(n)]
    if random.random() < 0.5:
        parts.insert(random.randint(0, len(parts)), random.choice(stems))
    return "-".join(parts)


def description():
    text = " ".join(random.choice(words) for _ in range(random.randint(4, 12)))
    return text[0].upper() + text[1:]


def license_value():
    spdx, short, full, free = random.choice(licenses[:4] if random.random() < 0.7 else licenses)
    value = {"deprecated": False, "free": free, "fullName": full, "redistributable": free,
             "shortName": short}
    if spdx:
        value["spdxId"] = spdx
        value["url"] = f"https://spdx.org/licenses/{spdx}.html"
    return value


seen = set()
packages = {}
lines = []
prefixes = [p for p, _ in sets]
weights = [w for _, w in sets]
while len(packages) < count:
    prefix = random.choices(prefixes, weights)[0]
    pname = name()
    attr = prefix + pname
    if attr in seen:
        continue
    seen.add(attr)
    version = f"{random.randint(0, 12)}.{random.randint(0, 40)}.{random.randint(0, 9)}"
    desc = description()
    directory = {"": "pkgs/by-name/" + pname[:2] + "/" + pname, "python3Packages.":
                 "pkgs/development/python-modules/" + pname}.get(prefix, "pkgs/development/" +
                 prefix.rstrip(".").lower() + "/" + pname)
    position = f"/nix/store/0c1hh7m2z1ndvjv2rk8k6m6w3b3r3qfn-source/{directory}/default.nix:{random.randint(3, 40)}"
    meta = {"available": True, "broken": False, "description": desc,
            "homepage": f"https://github.com/{pname}/{pname}",
            "insecure": False, "knownVulnerabilities": [],
            "license": license_value() if random.random() < 0.85 else [license_value(), license_value()],
            "maintainers": [random.choice(people) for _ in range(random.choice([0, 1, 1, 1, 2, 3]))],
            "name": f"{pname}-{version}", "outputsToInstall": ["out"],
            "platforms": random.choice(platform_lists), "position": position,
            "unfree": False, "unsupported": False}
    if random.random() < 0.3:
        meta["longDescription"] = " ".join(description() + "." for _ in range(random.randint(2, 6))) + "\n"
    if random.random() < 0.4:
        meta["mainProgram"] = pname
    if search:
        packages[f"legacyPackages.x86_64-linux.{attr}"] = {"description": desc, "pname": pname,
                                                           "version": version}
    else:
        packages[attr] = {"meta": meta, "name": f"{pname}-{version}", "outputName": "out",
                          "outputs": {"out": None}, "pname": pname, "system": "x86_64-linux",
                          "version": version}
    lines.append(f"{attr} {desc}")

document = {"version": 2, "packages": packages} if channel else dict(sorted(packages.items()))
with open(out, "w") as f:
    json.dump(document, f, indent=2, ensure_ascii=False)
with open(out + ".lines", "w") as f:
    f.write("\n".join(sorted(lines)) + "\n")
