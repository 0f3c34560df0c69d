//! The terminal: raw mode, the alternate screen, mouse capture and bracketed paste, entered once by
//! a guard and restored on every way out (drop, panic hook, suspend for `$EDITOR`).

use std::io::{self, Write};

use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};

/// What the loop asks of the terminal it runs in: leaving it for another program and coming back.
/// The real terminal does both; a test backend has nothing to leave.
pub trait Host {
    fn suspend(&mut self) -> io::Result<()>;
    fn resume(&mut self) -> io::Result<()>;
}

/// Holds the terminal in full-screen mode; dropping it restores the terminal.
pub struct Tui {
    entered: bool,
}

impl Tui {
    pub fn enter() -> io::Result<Self> {
        let mut tui = Tui { entered: false };
        tui.resume()?;
        Ok(tui)
    }
}

impl Host for Tui {
    /// Back to the shell's screen in cooked mode, for a program that needs the terminal.
    fn suspend(&mut self) -> io::Result<()> {
        restore_terminal();
        self.entered = false;
        Ok(())
    }

    fn resume(&mut self) -> io::Result<()> {
        enable_raw_mode()?;
        self.entered = true;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.entered {
            restore_terminal();
        }
    }
}

/// For tests and other backends that own no real terminal.
pub struct Headless;

impl Host for Headless {
    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn resume(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Puts the terminal back: cooked mode, main screen, no mouse capture, visible cursor. Safe to call
/// more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
    let _ = out.flush();
}

/// Restores the terminal before the default panic message is printed, so the message is readable
/// and the shell usable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

/// Runs `$VISUAL`/`$EDITOR` (else `vi`) on `path` at `line`, with the terminal handed over to it.
pub fn open_editor(
    host: &mut dyn Host,
    path: &std::path::Path,
    line: u32,
) -> Result<(), EditorError> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    host.suspend().map_err(EditorError::Terminal)?;
    let status = std::process::Command::new(&editor)
        .arg(format!("+{line}"))
        .arg(path)
        .status();
    host.resume().map_err(EditorError::Terminal)?;
    status
        .map(|_| ())
        .map_err(|source| EditorError::Start { editor, source })
}

#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("could not start {editor}: {source}; set $EDITOR")]
    Start { editor: String, source: io::Error },
    #[error("the terminal could not be handed over: {0}")]
    Terminal(io::Error),
}
