//! Every action a key can trigger. The doc comment on each variant is its help text: the help overlay
//! and the command palette are generated from this list and the key map, so they cannot drift.

macro_rules! commands {
    ($( #[doc = $doc:literal] $variant:ident = $name:literal ),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command {
            $( #[doc = $doc] $variant ),*
        }

        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$variant),*];

            /// The name used in config files and the palette.
            pub fn name(self) -> &'static str {
                match self { $(Command::$variant => $name),* }
            }

            /// One-line description, from the variant's doc comment.
            pub fn help(self) -> &'static str {
                match self { $(Command::$variant => $doc.trim_ascii()),* }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Command::$variant),)* _ => None }
            }
        }
    };
}

commands! {
    /// Quit nixbench
    Quit = "quit",
    /// Show or hide the key bindings
    Help = "help",
    /// Open the command palette
    Palette = "palette",
    /// Next tab
    NextTab = "next-tab",
    /// Previous tab
    PrevTab = "prev-tab",
    /// Packages & functions tab
    TabPackages = "tab-packages",
    /// Dependency graph tab
    TabGraph = "tab-graph",
    /// Build log tab
    TabBuild = "tab-build",
    /// Flake editor tab
    TabFlake = "tab-flake",
    /// Tour tab
    TabTour = "tab-tour",
    /// Move up
    Up = "up",
    /// Move down
    Down = "down",
    /// Page up
    PageUp = "page-up",
    /// Page down
    PageDown = "page-down",
    /// Go to the first item
    Top = "top",
    /// Go to the last item
    Bottom = "bottom",
    /// Focus the pane on the left
    Left = "left",
    /// Focus the pane on the right
    Right = "right",
    /// Open the selection
    Open = "open",
    /// Close the overlay or leave the input
    Back = "back",
    /// Search in this tab
    Search = "search",
    /// Cycle the search scope: all, packages, lib, builtins
    CycleScope = "cycle-scope",
    /// Open the selection's source in $EDITOR
    Edit = "edit",
    /// Evaluate nixpkgs with nix-env in the background for exact versions and meta
    EvaluateIndex = "evaluate-index",
    /// Fetch the nixpkgs flake.lock pins when it is not in the Nix store
    FetchNixpkgs = "fetch-nixpkgs",
    /// Add the selected package to this project's dev shell (shows the diff first)
    AddToFlake = "add-to-flake",
    /// Undo the last change nixbench made to flake.nix
    Undo = "undo",
    /// Show why the selection is in the closure
    Why = "why",
    /// Cycle the sort order: name, closure size, added size
    Sort = "sort",
    /// Compare the closure with another (a store path, ./result, an installable or saved JSON)
    Compare = "compare",
    /// Switch between the runtime closure and the build-time derivation graph
    ToggleBuildTime = "toggle-build-time",
    /// Show the selection's package in the Packages tab
    Docs = "docs",
    /// Follow the log as it grows
    Follow = "follow",
    /// Jump to the first error in the log
    FirstError = "first-error",
    /// Show the selected derivation in the dependency graph
    ShowInGraph = "show-in-graph",
    /// Show the next build source (when several logs are watched)
    NextSource = "next-source",
    /// Explain the flake construct under the cursor
    Explain = "explain",
    /// Next tour step
    NextStep = "next-step",
    /// Previous tour step
    PrevStep = "prev-step",
    /// Show a hint for the current tour step
    Hint = "hint",
    /// Apply the change the dialog shows
    Confirm = "confirm",
    /// Close the dialog without changing anything
    Cancel = "cancel",
}
