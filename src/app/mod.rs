//! The interactive application: state, commands, key map and update. No terminal I/O: the loop
//! that drives it is in `tui`.

pub mod command;
pub mod highlight;
pub mod keymap;
pub mod layout;
pub mod state;
pub mod tab;
pub mod tour;
pub mod update;

pub use command::Command;
pub use state::{AppState, Tab};
pub use update::{update, Effect, Msg};
