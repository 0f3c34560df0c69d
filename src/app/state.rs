//! The one owner of application state. Background tasks never touch it; they send messages.

use std::path::PathBuf;
use std::sync::Arc;

use crate::build_log::BuildState;
use crate::flake::lock::LockedNode;
use crate::flake::Flake;
use crate::graph::algo::Sizes;
use crate::graph::{Graph, NodeId};
use crate::nixpkgs::search::{Hit, Results, Scope, Searchable};
use crate::nixpkgs::Entry;
pub use crate::workspace::LoadError;

use super::keymap::KeyMap;
pub use super::tab::Tab;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Overlay {
    #[default]
    None,
    Help {
        scroll: usize,
    },
    /// The command palette; what is typed in it is the focused input (`InputTarget::Palette`).
    Palette {
        selected: usize,
        /// The focus to go back to when the palette closes.
        resume: Box<Focus>,
    },
    /// A change to a file, shown as a diff, waiting for `Command::Confirm` or `Command::Cancel`.
    Confirm(Box<PendingWrite>),
}

/// Who has the keyboard in the tab on screen: its list, its detail pane, or a text input.
/// Overlays (help, confirm, palette) come first; the palette's text is an input like the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    List,
    Detail,
    Input(InputTarget, TextInput),
}

/// What a text input is for: where its text goes and what Enter does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputTarget {
    /// The Packages search box (searches as you type).
    PackageQuery,
    /// `/` in the Graph: find a path by name.
    GraphSearch,
    /// `c` in the Graph: what to compare the closure with.
    GraphCompare,
    /// `/` in the Build log.
    LogSearch,
    /// The command palette's filter.
    Palette,
}

/// A one-line text being typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
}

impl TextInput {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn push(&mut self, c: char) {
        self.text.push(c);
    }

    pub fn backspace(&mut self) {
        self.text.pop();
    }
}

/// A file change waiting for confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingWrite {
    pub title: String,
    pub path: PathBuf,
    pub original: String,
    pub new: String,
    pub diff: String,
    pub scroll: usize,
    /// True when this change undoes an earlier one (it is not pushed on the undo stack).
    pub is_undo: bool,
    /// The package this change adds to a dev shell: undo can remove just it.
    pub added: Option<AddedPackage>,
}

impl PendingWrite {
    /// A change of `path` from `original` to `new`, with its diff (from /dev/null for a new file).
    pub fn new(title: String, path: PathBuf, original: String, new: String) -> Self {
        let old_name = if original.is_empty() {
            "/dev/null"
        } else {
            "a/flake.nix"
        };
        let diff = crate::flake::diff::unified(&original, &new, old_name, "b/flake.nix", 3);
        Self {
            title,
            path,
            original,
            new,
            diff,
            scroll: 0,
            is_undo: false,
            added: None,
        }
    }
}

/// How to take back a change nixbench made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoEntry {
    pub path: PathBuf,
    /// The file before the change, and right after it.
    pub before: String,
    pub after: String,
    pub added: Option<AddedPackage>,
}

/// A package added to a dev shell by a confirmed change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedPackage {
    /// The dev shell (`devShells.<system>.NAME`).
    pub shell: String,
    pub package: String,
}

/// Source lines around an entry's definition, for the details pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// The entry they belong to.
    pub name: String,
    /// The line number of the first line.
    pub first_line: u32,
    pub lines: Vec<String>,
}

pub use super::tour::{Lesson, TourState};

/// What the status bar shows about the environment.
#[derive(Clone, Debug, Default)]
pub struct StatusInfo {
    pub project_dir: String,
    pub nix: String,
    pub nixpkgs: String,
    /// The nixpkgs directory entries' relative files resolve against.
    pub nixpkgs_root: Option<PathBuf>,
    /// Set in demo mode: why the demo opened.
    pub demo: Option<String>,
}

/// Something loading in the background, loaded, or failed (the view picks the hint by kind).
#[derive(Debug, Default)]
pub enum Load<T> {
    #[default]
    Loading,
    Ready(T),
    Failed(LoadError),
}

impl<T> Load<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Load::Ready(value) => Some(value),
            _ => None,
        }
    }
}

/// The project's flake.lock pins a nixpkgs the store does not hold: what the tab says about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PinnedMissing {
    /// Which input, which revision, not in the store.
    pub headline: String,
    /// The command that fetches it, when flake.lock says enough to build one.
    pub fetch_command: Option<String>,
    /// What is searched meanwhile, each with where it came from.
    pub sources: Vec<String>,
    /// The fetch's latest progress line while it runs.
    pub fetching: Option<String>,
}

#[derive(Default)]
pub struct PackagesState {
    pub index: Load<Arc<Searchable>>,
    /// Set while the project's pinned nixpkgs is missing.
    pub pinned_missing: Option<PinnedMissing>,
    /// The text searched for; while the search box has the keyboard it follows what is typed.
    pub query: String,
    pub scope: Scope,
    pub results: Results,
    pub selected: usize,
    /// The first result row shown (kept so the list scrolls only when the selection needs it).
    pub offset: usize,
    /// The generation of the newest search request; older results are dropped.
    pub generation: u64,
    pub searching: bool,
    pub detail_scroll: usize,
    /// The results as the list shows them: decoded once per search, not on every frame.
    pub rows: Vec<ResultRow>,
    /// The selected entry, decoded once per selection (see [`PackagesState::refresh_selected`]).
    selected_entry: Option<(usize, Hit, Entry)>,
    /// The selected entry's code, highlighted once per selection and excerpt.
    pub code: SelectedCode,
    /// Source lines around the selected entry's definition.
    pub excerpt: Option<Excerpt>,
}

/// The selected entry's signature, examples and source excerpt, highlighted.
#[derive(Default)]
pub struct SelectedCode {
    pub signature: Vec<ratatui::text::Line<'static>>,
    pub examples: Vec<Vec<ratatui::text::Line<'static>>>,
    pub excerpt: Vec<ratatui::text::Line<'static>>,
    /// Which excerpt `excerpt` holds: (entry name, first line).
    excerpt_of: Option<(String, u32)>,
}

/// One row of the results list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultRow {
    pub kind: &'static str,
    pub name: String,
    pub version: String,
}

/// The rows of a search's results, decoded from the index (by the search's worker, so the loop
/// only swaps them in).
pub fn result_rows(searchable: &Searchable, results: &Results) -> Vec<ResultRow> {
    results
        .hits
        .iter()
        .map(|hit| {
            let entry = searchable.entry(*hit);
            ResultRow {
                kind: entry.kind().label(),
                version: entry.version.unwrap_or_default(),
                name: entry.name,
            }
        })
        .collect()
}

impl PackagesState {
    /// Decodes and highlights the selected entry again if the selection (or the index) changed
    /// since, and its source excerpt if a new one arrived.
    pub fn refresh_selected(&mut self, colours: super::highlight::Syntax) {
        use super::highlight::nix;
        self.refresh_excerpt(colours);
        let (Some(searchable), Some(hit)) =
            (self.index.ready(), self.results.hits.get(self.selected))
        else {
            self.selected_entry = None;
            return;
        };
        let index = Arc::as_ptr(searchable) as usize;
        if matches!(&self.selected_entry, Some((i, h, _)) if *i == index && h == hit) {
            return;
        }
        let entry = searchable.entry(*hit);
        let code = &mut self.code;
        code.signature = entry
            .type_sig
            .as_deref()
            .map(|sig| nix(sig, colours))
            .unwrap_or_default();
        code.examples = entry.examples.iter().map(|e| nix(e, colours)).collect();
        self.selected_entry = Some((index, *hit, entry));
    }

    fn refresh_excerpt(&mut self, colours: super::highlight::Syntax) {
        let code = &mut self.code;
        let same = match (&self.excerpt, &code.excerpt_of) {
            (Some(excerpt), Some((shown, shown_first))) => {
                excerpt.name == *shown && excerpt.first_line == *shown_first
            }
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        code.excerpt_of = self
            .excerpt
            .as_ref()
            .map(|excerpt| (excerpt.name.clone(), excerpt.first_line));
        code.excerpt = self
            .excerpt
            .as_ref()
            .map(|excerpt| super::highlight::nix(&excerpt.lines.join("\n"), colours))
            .unwrap_or_default();
    }

    /// The selected entry, for the details pane.
    pub fn selected_entry(&self) -> Option<&Entry> {
        self.selected_entry.as_ref().map(|(_, _, entry)| entry)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GraphColumn {
    Referrers,
    #[default]
    References,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    Name,
    #[default]
    ClosureSize,
    AddedSize,
}

impl SortKey {
    pub fn next(self) -> Self {
        match self {
            SortKey::Name => SortKey::ClosureSize,
            SortKey::ClosureSize => SortKey::AddedSize,
            SortKey::AddedSize => SortKey::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::ClosureSize => "closure size",
            SortKey::AddedSize => "added size",
        }
    }
}

pub struct GraphData {
    pub graph: Arc<Graph>,
    pub sizes: Arc<Sizes>,
    pub source: String,
}

#[derive(Default)]
pub struct GraphState {
    /// The graph on screen: the runtime closure, or the build-time graph after `t`.
    pub data: Load<GraphData>,
    /// The other graph, swapped in by `t`.
    pub other: Load<GraphData>,
    /// True while `data` holds the build-time graph.
    pub build_time: bool,
    /// The best match for the `/` search text while it is typed.
    pub search_best: Option<NodeId>,
    pub current: NodeId,
    pub history: Vec<NodeId>,
    pub column: GraphColumn,
    pub selected_reference: usize,
    pub selected_referrer: usize,
    /// The first row shown of each column.
    pub reference_offset: usize,
    pub referrer_offset: usize,
    pub sort: SortKey,
    /// The sorted columns of the current node.
    pub columns: GraphColumns,
    /// Why-chains from the root to the current node, when asked for.
    pub why: Option<Vec<Vec<NodeId>>>,
    /// The comparison with another closure, once loaded (or why it could not be).
    pub comparison: Option<Result<crate::graph::report::ClosureDiff, LoadError>>,
}

/// Where `lower` (already lower-case) first occurs in `text`, ignoring case.
fn find_ignoring_case(text: &str, lower: &str) -> Option<usize> {
    if !text.is_ascii() || !lower.is_ascii() {
        return text.to_lowercase().find(lower);
    }
    let (text, lower) = (text.as_bytes(), lower.as_bytes());
    if lower.is_empty() {
        return Some(0);
    }
    text.windows(lower.len())
        .position(|window| window.eq_ignore_ascii_case(lower))
}

/// The current node's references and referrers, sorted: kept in state and sorted again only when
/// what they depend on changes (see [`GraphState::refresh_columns`]), not on every frame.
#[derive(Default)]
pub struct GraphColumns {
    /// What the columns were sorted for: graph, node, sort key.
    key: Option<(usize, NodeId, SortKey)>,
    pub references: Vec<NodeId>,
    pub referrers: Vec<NodeId>,
}

impl GraphState {
    /// Nodes whose name matches `query`: prefix matches first, then substring matches.
    pub fn search_matches(&self, query: &str, limit: usize) -> Vec<NodeId> {
        let Some(data) = self.data.ready() else {
            return Vec::new();
        };
        let query = query.to_lowercase();
        let graph = &data.graph;
        // Run on every key typed: store names are ASCII, compared without allocating.
        let mut matches: Vec<(bool, usize, NodeId)> = (0..graph.len() as NodeId)
            .filter_map(|id| {
                let name = graph.node(id).name();
                let at = find_ignoring_case(name, &query)?;
                Some((at != 0, name.len(), id))
            })
            .collect();
        if matches.len() > limit && limit > 0 {
            matches.select_nth_unstable(limit - 1);
            matches.truncate(limit);
        }
        matches.sort();
        matches
            .into_iter()
            .take(limit)
            .map(|(_, _, id)| id)
            .collect()
    }

    /// The current node's references or referrers, sorted by the chosen key.
    pub fn column_items(&self, column: GraphColumn) -> &[NodeId] {
        match column {
            GraphColumn::References => &self.columns.references,
            GraphColumn::Referrers => &self.columns.referrers,
        }
    }

    /// The first row shown of a column.
    pub fn offset_in(&self, column: GraphColumn) -> usize {
        match column {
            GraphColumn::References => self.reference_offset,
            GraphColumn::Referrers => self.referrer_offset,
        }
    }

    /// The selected row of a column.
    pub fn selected_in(&self, column: GraphColumn) -> usize {
        match column {
            GraphColumn::References => self.selected_reference,
            GraphColumn::Referrers => self.selected_referrer,
        }
    }

    /// Sorts the columns again if the graph, the current node or the sort key changed since.
    pub fn refresh_columns(&mut self) {
        let Some(data) = self.data.ready() else {
            self.columns = GraphColumns::default();
            return;
        };
        let key = (Arc::as_ptr(&data.graph) as usize, self.current, self.sort);
        if self.columns.key == Some(key) {
            return;
        }
        let graph = &data.graph;
        let sort = |mut items: Vec<NodeId>| {
            match self.sort {
                SortKey::Name => {
                    items.sort_by(|a, b| graph.node(*a).name().cmp(graph.node(*b).name()))
                }
                SortKey::ClosureSize => {
                    items.sort_by_key(|n| std::cmp::Reverse(data.sizes.closure[*n as usize]))
                }
                SortKey::AddedSize => {
                    items.sort_by_key(|n| std::cmp::Reverse(data.sizes.added[*n as usize]))
                }
            }
            items
        };
        let references = sort(graph.references.of(self.current).to_vec());
        let referrers = sort(graph.referrers.of(self.current).to_vec());
        self.columns = GraphColumns {
            key: Some(key),
            references,
            referrers,
        };
    }
}

pub struct BuildView {
    pub state: BuildState,
    pub source: String,
    pub selected: usize,
    /// The first derivation row shown.
    pub offset: usize,
    pub follow: bool,
    /// Lines scrolled up from the end of the selected log (0 = at the end).
    pub scroll_from_end: usize,
    pub running: bool,
    pub exit_code: Option<i32>,
    /// What the build process printed on stdout.
    pub stdout: Vec<u8>,
    /// Whether this build's durations go into the history (live builds, not the demo replay).
    pub record_history: bool,
    /// What the error explainer makes of the build's errors, once it has ended.
    pub explanations: Vec<crate::explain::Explanation>,
    /// Why the source could not be read (unreachable host, missing file), if it could not.
    pub source_error: Option<String>,
}

impl Default for BuildView {
    fn default() -> Self {
        Self {
            state: BuildState::new(5000),
            source: String::new(),
            selected: 0,
            offset: 0,
            follow: true,
            scroll_from_end: 0,
            running: false,
            exit_code: None,
            stdout: Vec::new(),
            record_history: false,
            explanations: Vec::new(),
            source_error: None,
        }
    }
}

#[derive(Default)]
pub struct FlakeState {
    pub path: Option<PathBuf>,
    pub flake: Option<Flake>,
    /// Why flake.nix could not be read.
    pub error: Option<LoadError>,
    pub cursor_line: usize,
    pub explanation: Option<crate::flake::explain::Explanation>,
    pub lock: Vec<LockedNode>,
    pub lock_duplicates: Vec<Vec<String>>,
    /// flake.lock holds what only Nix 2.17 or later reads: the words to show.
    pub lock_newer_nix: Option<String>,
    /// Changes nixbench made, newest last: `u` takes the last one back.
    pub undo: Vec<UndoEntry>,
    /// Where `nixbench flake init` would write, when the project has no flake.nix yet.
    pub project_root: Option<PathBuf>,
    /// The template selected in the init wizard.
    pub template: usize,
    /// When flake.nix and flake.lock were last read (Unix seconds).
    pub read_at: i64,
    /// Columns of flake.nix scrolled off to the left (h/l or ←/→), for lines wider than the pane.
    pub hscroll: usize,
    /// flake.nix highlighted, one entry per line: made when the file is read, not on every frame.
    pub highlighted: Vec<ratatui::text::Line<'static>>,
}

impl FlakeState {
    /// Highlights flake.nix again (after it was read).
    pub fn refresh_highlight(&mut self, colours: super::highlight::Syntax) {
        self.highlighted = match &self.flake {
            Some(flake) => super::highlight::nix(flake.text(), colours),
            None => Vec::new(),
        };
    }
}

/// A short message in the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

pub struct AppState {
    pub tab: Tab,
    pub keymap: KeyMap,
    pub overlay: Overlay,
    /// Who has the keyboard under the overlays.
    pub focus: Focus,
    pub status: StatusInfo,
    pub notice: Option<Notice>,
    /// Terminal size in cells.
    pub size: (u16, u16),
    /// How code is coloured: chosen by the theme, kept here because highlighted code is state.
    pub syntax: super::highlight::Syntax,
    pub packages: PackagesState,
    pub graph: GraphState,
    /// One view per build source, in order (always at least one).
    pub builds: Vec<BuildView>,
    /// Which of `builds` the Build tab shows.
    pub shown: usize,
    /// Earlier build durations, for ETAs; every build that ends adds to them.
    pub build_history: crate::build_log::history::Durations,
    pub flake: FlakeState,
    pub tour: TourState,
    pub quit: bool,
    /// For the terminal-restore test: panic on the first key press.
    pub debug_panic: bool,
}

/// Everything a session starts from, gathered by its front end (the terminal loop, or a test).
pub struct Startup {
    pub keymap: KeyMap,
    pub status: StatusInfo,
    /// Terminal size in cells.
    pub size: (u16, u16),
    /// Lines of log kept per derivation.
    pub log_lines: usize,
    /// One description per live build source, in order (`nixbench build`, `watch A B`).
    pub build_sources: Vec<String>,
    /// What the Build tab says when there is no live source.
    pub idle_build: String,
    pub start_tab: Tab,
    pub tour: super::tour::Progress,
    pub durations: crate::build_log::history::Durations,
    /// Where `flake init` writes when the project has no flake.nix.
    pub project_root: Option<PathBuf>,
    /// Where per-derivation logs go in full once they outgrow the tail kept in memory.
    pub full_logs: Option<PathBuf>,
}

impl Startup {
    /// A session with no builds, no saved progress and the default log size.
    pub fn new(keymap: KeyMap, status: StatusInfo, size: (u16, u16)) -> Self {
        Startup {
            keymap,
            status,
            size,
            log_lines: crate::config::BuildConfig::default().log_lines,
            build_sources: Vec::new(),
            idle_build: String::new(),
            start_tab: Tab::Packages,
            tour: Default::default(),
            durations: Default::default(),
            project_root: None,
            full_logs: None,
        }
    }
}

impl AppState {
    /// Says `text` in the status line.
    pub fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error: false,
        });
    }

    /// Says in the status line, as an error, that something failed.
    pub fn fail(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error: true,
        });
    }

    pub fn new(startup: Startup) -> Self {
        let Startup {
            keymap,
            status,
            size,
            log_lines,
            build_sources,
            idle_build,
            start_tab,
            tour,
            durations,
            project_root,
            full_logs,
        } = startup;
        let mut state = Self::blank(keymap, status, size);
        let several = build_sources.len() > 1;
        let title = |index: usize, source: &str| {
            if several {
                format!("({}/{}, s: next) {source}", index + 1, build_sources.len())
            } else {
                source.to_string()
            }
        };
        let build_state = |dir: Option<PathBuf>| {
            let state = crate::build_log::BuildState::new(log_lines);
            match dir {
                Some(dir) => state.keep_full_logs_in(dir),
                None => state,
            }
        };
        let first = BuildView {
            state: build_state(full_logs.clone()),
            record_history: !build_sources.is_empty(),
            source: match build_sources.first() {
                Some(first) => {
                    state.tab = Tab::Build;
                    title(0, first)
                }
                None => idle_build,
            },
            ..Default::default()
        };
        // Several sources: one view each, the first shown until `s`.
        let others = build_sources
            .iter()
            .enumerate()
            .skip(1)
            .map(|(index, source)| BuildView {
                state: build_state(
                    full_logs
                        .as_ref()
                        .map(|dir| dir.join(format!("source-{}", index + 1))),
                ),
                source: title(index, source),
                record_history: true,
                ..Default::default()
            });
        state.builds = std::iter::once(first).chain(others).collect();
        state.tour.completed = tour.completed;
        state.tour.completed.resize(state.tour.lessons.len(), false);
        state.tour.step = tour.step.min(state.tour.lessons.len().saturating_sub(1));
        if start_tab == Tab::Tour {
            state.tab = Tab::Tour;
        }
        state.build_history = durations;
        state.flake.project_root = project_root;
        state
    }

    fn blank(keymap: KeyMap, status: StatusInfo, size: (u16, u16)) -> Self {
        Self {
            tab: Tab::Packages,
            keymap,
            overlay: Overlay::None,
            focus: Focus::List,
            status,
            notice: None,
            size,
            syntax: Default::default(),
            packages: PackagesState::default(),
            graph: GraphState::default(),
            builds: vec![BuildView::default()],
            shown: 0,
            build_history: Default::default(),
            flake: FlakeState::default(),
            tour: TourState {
                lessons: super::tour::lessons(),
                ..TourState::default()
            },
            quit: false,
            debug_panic: false,
        }
    }

    /// The build the Build tab shows.
    pub fn shown_build(&self) -> &BuildView {
        &self.builds[self.shown]
    }

    pub fn shown_build_mut(&mut self) -> &mut BuildView {
        &mut self.builds[self.shown]
    }

    /// Shows the next build source (with one source, nothing changes).
    pub fn show_next_build(&mut self) {
        self.shown = (self.shown + 1) % self.builds.len();
    }

    /// True while a text input has the keyboard (search boxes, the compare prompt, the palette).
    pub fn typing(&self) -> bool {
        matches!(self.focus, Focus::Input(..))
    }

    /// The text input that has the keyboard for `target`, if it has.
    pub fn input(&self, target: InputTarget) -> Option<&TextInput> {
        match &self.focus {
            Focus::Input(t, input) if *t == target => Some(input),
            _ => None,
        }
    }

    /// Scrolls each list just enough to keep its selection in view (after the selection or the
    /// terminal size changed).
    pub fn keep_selections_in_view(&mut self) {
        use super::layout::{areas, keep_in_view};
        let areas = areas(self.size);
        let rows = areas.list_rows();
        let p = &mut self.packages;
        p.offset = keep_in_view(p.selected, p.offset, rows);
        for b in &mut self.builds {
            b.offset = keep_in_view(b.selected, b.offset, rows);
        }
        // Wide, the references fill the detail pane; narrow, each column takes the list's place.
        let reference_rows = if areas.narrow {
            rows
        } else {
            usize::from(areas.detail.height.saturating_sub(2))
        };
        let g = &mut self.graph;
        g.referrer_offset = keep_in_view(g.selected_referrer, g.referrer_offset, rows);
        g.reference_offset = keep_in_view(g.selected_reference, g.reference_offset, reference_rows);
    }

    /// Switches tabs; the new tab starts with its list focused.
    pub fn show_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.focus = Focus::List;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_builds_are_shown_in_turn() {
        let mut state = AppState::new(Startup::new(
            KeyMap::defaults(),
            StatusInfo::default(),
            (80, 24),
        ));
        state.builds[0].source = "one".into();
        for name in ["two", "three"] {
            state.builds.push(BuildView {
                source: name.into(),
                ..Default::default()
            });
        }
        state.show_next_build();
        assert_eq!(state.shown_build().source, "two");
        state.show_next_build();
        state.show_next_build();
        assert_eq!(state.shown_build().source, "one");
    }

    #[test]
    fn finds_names_ignoring_case() {
        assert_eq!(find_ignoring_case("libGreet-1.0", "greet"), Some(3));
        assert_eq!(find_ignoring_case("ZLIB-mini", "zlib"), Some(0));
        assert_eq!(find_ignoring_case("zlib", "zlibs"), None);
        assert_eq!(find_ignoring_case("hello", ""), Some(0));
        assert_eq!(find_ignoring_case("Ünïcode-ÄB", "äb"), Some(10));
    }
}
