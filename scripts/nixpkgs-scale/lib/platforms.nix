{ lib }:
let d = lib.systems.doubles; in
{
  /** Every system nixpkgs can target. */
  all = d.all;
  /** Linux on every cpu. */
  linux = d.linux;
  /** macOS, Intel and Apple silicon. */
  darwin = d.darwin;
  /** The BSDs and macOS. */
  bsd = d.bsd;
  /** Every Unix-like system. */
  unix = d.unix;
  /** Windows and Cygwin. */
  windows = d.windows;
  /** Bare metal. */
  none = d.none;
  x86_64 = builtins.filter (s: (lib.systems.parse s).cpu.name == "x86_64") d.all;
  aarch64 = builtins.filter (s: (lib.systems.parse s).cpu.name == "aarch64") d.all;
}
