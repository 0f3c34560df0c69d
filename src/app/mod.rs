//! The interactive application: state, commands, key map, update and the event loop.

pub mod command;
pub mod keymap;
pub mod layout;
pub mod run;
pub mod state;
pub mod tour;
pub mod update;

pub use command::Command;
pub use state::{AppState, Tab};
pub use update::{update, Effect, Msg};
