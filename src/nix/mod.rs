//! The one door for `nix` processes. Every child nixbench starts for Nix (`nix`, `nix-env`,
//! `nix-instantiate`) is built by [`NixCommand`] and lives under one kill policy; the pieces:
//!
//! - [`version`]: finding `nix` and detecting its version and flavour (Nix, Lix, Determinate);
//! - [`args`]: every argv nixbench passes, and the differences between releases;
//! - [`process`]: the command builder, blocking (`output`, `spawn`) and streaming (tokio);
//! - [`error`]: [`NixError`], with the one install hint, and Nix's own message out of its stderr.
//!
//! Only `ssh` (build-log/ssh.rs) and `$EDITOR` (tui/terminal.rs) are spawned elsewhere.

pub mod args;
pub mod error;
pub mod process;
pub mod version;

pub use args::{flake_prefetch_args, PathInfoShape};
pub use error::{error_message, NixError, INSTALL_HINT};
pub use process::{run_blocking, stop_running, NixChild, NixCommand, NixStream};
pub use version::{detect, detect_cached, find_on_path, Flavour, NixInfo, NixStatus, Version};
