//! nixbench's entry point: everything lives in the library.

fn main() -> std::process::ExitCode {
    nixbench::cli::main()
}
