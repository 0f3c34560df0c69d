//! nixbench: a terminal workbench for Nix projects. The binary is a thin shell over this crate.
//!
//! Dependencies point one way: `tui -> views -> app -> (nixpkgs | build_log | graph | flake) -> nix`.
//! Domain modules never touch the terminal; views never spawn processes or touch files.

pub mod app;
#[path = "build-log/mod.rs"]
pub mod build_log;
pub mod cli;
pub mod config;
pub mod demo;
pub mod explain;
pub mod flake;
pub mod fsutil;
pub mod graph;
pub mod nix;
pub mod nixpkgs;
pub mod project;
pub mod tui;
pub mod views;
pub mod workspace;
