#!/usr/bin/env python3
"""Generates a nixpkgs-shaped tree at scale for benchmarks: the nixpkgs-mini skeleton (stdenv,
top-level, lib) plus N pkgs/by-name packages and M extra lib functions with RFC 145 doc comments.
Usage: gen-nixpkgs.py OUT_DIR [PACKAGES] [LIB_FUNCTIONS]"""
import os, random, shutil, sys

out = sys.argv[1]
packages = int(sys.argv[2]) if len(sys.argv) > 2 else 120_000
functions = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000
here = os.path.dirname(os.path.abspath(__file__))
mini = os.path.join(here, "..", "tests", "fixtures", "nixpkgs-mini")
shutil.rmtree(out, ignore_errors=True)
shutil.copytree(mini, out)
random.seed(7)
words = "fast tiny secure modern portable simple json yaml http terminal image audio video graph file network compression parser editor shell git build test crypto database cache server client".split()
syllables = ["ka", "lo", "mi", "nu", "ra", "te", "zo", "vi", "pe", "qu", "xi", "bo", "da", "fu", "gi", "ho"]
seen = set(os.listdir(os.path.join(out, "pkgs", "by-name", "he")))
for i in range(packages):
    while True:
        name = "".join(random.choice(syllables) for _ in range(random.randint(2, 4))) + ("-" + random.choice(words) if random.random() < 0.3 else "")
        if name not in seen:
            seen.add(name)
            break
    d = os.path.join(out, "pkgs", "by-name", name[:2], name)
    os.makedirs(d, exist_ok=True)
    desc = " ".join(random.choice(words) for _ in range(6)).capitalize()
    program = name.split("-")[0][:4]
    with open(os.path.join(d, "package.nix"), "w") as f:
        f.write(f'''{{ stdenv }}:
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
''')
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
with open(os.path.join(out, "lib", "default.nix")) as f:
    text = f.read()
text = text.replace("meta = import ./meta.nix { lib = self; };", "meta = import ./meta.nix { lib = self; };\n    generated = import ./generated.nix { lib = self; };")
with open(os.path.join(out, "lib", "default.nix"), "w") as f:
    f.write(text)
print(f"{out}: {packages} packages, {functions} generated lib functions", file=sys.stderr)
