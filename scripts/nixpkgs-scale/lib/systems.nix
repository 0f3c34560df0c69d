{ lib }:
let
  inherit (builtins) attrNames concatMap elemAt filter isString length listToAttrs split;

  cpuTypes = {
    x86_64 = { bits = 64; family = "x86"; endian = "little"; };
    i686 = { bits = 32; family = "x86"; endian = "little"; };
    aarch64 = { bits = 64; family = "arm"; endian = "little"; };
    armv6l = { bits = 32; family = "arm"; endian = "little"; };
    armv7l = { bits = 32; family = "arm"; endian = "little"; };
    riscv32 = { bits = 32; family = "riscv"; endian = "little"; };
    riscv64 = { bits = 64; family = "riscv"; endian = "little"; };
    powerpc64 = { bits = 64; family = "power"; endian = "big"; };
    powerpc64le = { bits = 64; family = "power"; endian = "little"; };
    mips64el = { bits = 64; family = "mips"; endian = "little"; };
    mipsel = { bits = 32; family = "mips"; endian = "little"; };
    loongarch64 = { bits = 64; family = "loongarch"; endian = "little"; };
    s390x = { bits = 64; family = "s390"; endian = "big"; };
    m68k = { bits = 32; family = "m68k"; endian = "big"; };
    microblaze = { bits = 32; family = "microblaze"; endian = "big"; };
    wasm32 = { bits = 32; family = "wasm"; endian = "little"; };
  };

  kernelTypes = {
    linux = { execFormat = "elf"; families = [ ]; unix = true; };
    darwin = { execFormat = "macho"; families = [ "bsd" "darwin" ]; unix = true; };
    freebsd = { execFormat = "elf"; families = [ "bsd" ]; unix = true; };
    netbsd = { execFormat = "elf"; families = [ "bsd" ]; unix = true; };
    openbsd = { execFormat = "elf"; families = [ "bsd" ]; unix = true; };
    cygwin = { execFormat = "pe"; families = [ ]; unix = true; };
    windows = { execFormat = "pe"; families = [ ]; unix = false; };
    wasi = { execFormat = "wasm"; families = [ ]; unix = false; };
    none = { execFormat = "unknown"; families = [ ]; unix = false; };
  };

  supported = {
    linux = attrNames cpuTypes;
    darwin = [ "x86_64" "aarch64" ];
    freebsd = [ "x86_64" "i686" "aarch64" "armv7l" "powerpc64" "riscv64" ];
    netbsd = [ "x86_64" "i686" "aarch64" "armv6l" "armv7l" "mipsel" "powerpc64" "riscv64" ];
    openbsd = [ "x86_64" "i686" "aarch64" ];
    cygwin = [ "x86_64" "i686" ];
    windows = [ "x86_64" "i686" "aarch64" ];
    wasi = [ "wasm32" ];
    none = [ "x86_64" "i686" "aarch64" "armv6l" "armv7l" "riscv32" "riscv64" "m68k" "microblaze" ];
  };

  all = concatMap (kernel: map (cpu: "${cpu}-${kernel}") supported.${kernel}) (attrNames supported);
  onKernel = pred: filter (system: pred (parse system).kernel) all;

  parse = system:
    let
      parts = filter isString (split "-" system);
      cpu = elemAt parts 0;
      kernel = elemAt parts (length parts - 1);
    in
    {
      cpu = cpuTypes.${cpu} // { name = cpu; };
      kernel = kernelTypes.${kernel} // { name = kernel; };
      vendor = if kernel == "darwin" then "apple" else "unknown";
      abi = if kernel == "linux" then "gnu" else "unknown";
    };
in
{
  /**
    Every `cpu-kernel` pair nixpkgs knows, and the lists per kernel family.
  */
  doubles = {
    inherit all;
    linux = onKernel (k: k.name == "linux");
    darwin = onKernel (k: k.name == "darwin");
    freebsd = onKernel (k: k.name == "freebsd");
    bsd = onKernel (k: builtins.elem "bsd" k.families);
    unix = onKernel (k: k.unix);
    windows = onKernel (k: k.name == "windows" || k.name == "cygwin");
    none = onKernel (k: k.name == "none");
  };

  /**
    Splits a system double into its parsed cpu, vendor, kernel and abi.

    # Type

    ```
    parse :: string -> AttrSet
    ```
  */
  inherit parse;

  /**
    A platform description with the predicates packages test (`isLinux`, `is64bit`, ...).

    # Type

    ```
    elaborate :: string -> AttrSet
    ```

    # Examples
    :::{.example}
    ```nix
    (elaborate "aarch64-darwin").isDarwin
    => true
    ```
    :::
  */
  elaborate = system:
    let parsed = parse system; in
    rec {
      inherit system parsed;
      config = "${parsed.cpu.name}-${parsed.vendor}-${parsed.kernel.name}-${parsed.abi}";
      isLinux = parsed.kernel.name == "linux";
      isDarwin = parsed.kernel.name == "darwin";
      isBSD = builtins.elem "bsd" parsed.kernel.families;
      isUnix = parsed.kernel.unix;
      isWindows = parsed.kernel.name == "windows";
      is64bit = parsed.cpu.bits == 64;
      isx86_64 = parsed.cpu.name == "x86_64";
      isAarch64 = parsed.cpu.name == "aarch64";
      isStatic = false;
      libc = if isLinux then "glibc" else if isDarwin then "libSystem" else "native";
      extensions = {
        sharedLibrary = if isDarwin then ".dylib" else if isWindows then ".dll" else ".so";
        executable = if isWindows then ".exe" else "";
      };
      canExecute = other: parsed.kernel.name == other.parsed.kernel.name && parsed.cpu.family == other.parsed.cpu.family;
    };
}
