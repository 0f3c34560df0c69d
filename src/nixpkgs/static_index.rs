//! The static index: reads a nixpkgs tree with rnix, without evaluating anything. It finds lib
//! functions with their doc comments and re-exports, and packages from pkgs/by-name and callPackage
//! lines with their literal pname, version and meta fields.

use std::path::{Path, PathBuf};

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::file_results::{Encoded, FileResults};
use super::package_set_scan::call_package_lines_in;
use super::source_key::FileStamp;
use super::syntax::{attr_name, attrpath_text, literal_string, normalize, SourceFile};
use super::{Entry, EntryKind, Index};

/// Package-set files whose callPackage lines define attributes under a prefix.
const PACKAGE_SETS: &[(&str, &str)] = &[
    ("pkgs/top-level/all-packages.nix", ""),
    ("pkgs/top-level/python-packages.nix", "python3Packages."),
    ("pkgs/top-level/perl-packages.nix", "perlPackages."),
    ("pkgs/top-level/ocaml-packages.nix", "ocamlPackages."),
    ("pkgs/top-level/lua-packages.nix", "luaPackages."),
    ("pkgs/top-level/php-packages.nix", "phpPackages."),
];

/// Strips lambdas, `let ... in`, `with`, parentheses and `rec` to reach the attribute set a file
/// evaluates to (`{ lib }: let x = 1; in rec { ... }` gives the `rec { ... }`). Applications look at
/// their arguments last-first, so `fix (self: { ... })` and `makeExtensible (self: { ... })` work.
pub fn body_attrset(expr: ast::Expr) -> Option<ast::AttrSet> {
    let mut expr = expr;
    for _ in 0..64 {
        expr = match expr {
            ast::Expr::AttrSet(set) => return Some(set),
            ast::Expr::Lambda(lambda) => lambda.body()?,
            ast::Expr::LetIn(let_in) => {
                let body = let_in.body()?;
                // `let makeLib = self: { ... }; in fix makeLib`: follow the applied binding.
                if let Some(name) = applied_ident(&body) {
                    if let Some(bound) = let_in
                        .attrpath_values()
                        .find(|kv| attrpath_text(kv).as_deref() == Some(name.as_str()))
                        .and_then(|kv| kv.value())
                    {
                        if let Some(set) = body_attrset(bound) {
                            return Some(set);
                        }
                    }
                }
                body
            }
            ast::Expr::With(with) => with.body()?,
            ast::Expr::Paren(paren) => paren.expr()?,
            ast::Expr::Assert(assert) => assert.body()?,
            ast::Expr::Apply(apply) => {
                if let Some(set) = apply.argument().and_then(body_attrset) {
                    return Some(set);
                }
                apply.lambda()?
            }
            _ => return None,
        };
    }
    None
}

/// `fix makeLib` gives `makeLib`.
fn applied_ident(expr: &ast::Expr) -> Option<String> {
    match expr {
        ast::Expr::Apply(apply) => match apply.argument()? {
            ast::Expr::Ident(ident) => Some(ident.ident_token()?.text().to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Indexes a nixpkgs tree (or a tree holding only lib/). Files are parsed on all cores.
pub fn index_tree(root: &Path) -> Index {
    index_tree_reporting(root, &|_, _| {})
}

/// Like [`index_tree`], calling `report(done, total)` now and then from the worker threads.
pub fn index_tree_reporting(root: &Path, report: &(dyn Fn(usize, usize) + Sync)) -> Index {
    index_tree_incremental(root, report, None).index
}

/// An index built with the previous index's per-file results at hand.
pub struct Incremental {
    pub index: Index,
    /// This index's per-file results, for the next one (see [`super::file_results::save`]).
    pub files: Vec<Encoded>,
    /// Package files read and parsed; the others were unchanged and taken from `previous`.
    pub files_read: usize,
}

/// Like [`index_tree_reporting`]; with `previous`, a package file whose stamp (size, time, inode)
/// and passed arguments are those recorded is not read again: its recorded result is used.
pub fn index_tree_incremental(
    root: &Path,
    report: &(dyn Fn(usize, usize) + Sync),
    previous: Option<&FileResults>,
) -> Incremental {
    // The package-set files are parsed first: their callPackage lines (120k in a tree laid out
    // like older nixpkgs) become units of their own, so those files are read on every core too.
    let mut set_problems = Vec::new();
    let set_jobs = package_set_jobs(root, &mut set_problems);
    // Units of work: lib, runs of the package-set jobs, and each pkgs/by-name shard directory
    // (listed by the worker that takes it, so listing is parallel too).
    let mut units = vec![Unit::Lib];
    units.extend(
        (0..set_jobs.len())
            .step_by(JOBS_PER_UNIT)
            .map(|start| Unit::PackageSets(start..(start + JOBS_PER_UNIT).min(set_jobs.len()))),
    );
    if let Ok(shards) = std::fs::read_dir(root.join("pkgs/by-name")) {
        let mut dirs: Vec<PathBuf> = shards.flatten().map(|e| e.path()).collect();
        dirs.sort();
        units.extend(dirs.into_iter().map(Unit::Shard));
    }
    let mut index = Index {
        problems: set_problems,
        ..Index::default()
    };
    let mut files = Vec::new();
    let mut files_read = 0;
    for result in run_units(root, &units, &set_jobs, report, previous) {
        index.entries.extend(result.entries);
        index.problems.extend(result.problems);
        files_read += result.files_read;
        files.push(result.records);
    }
    // Each unit's entries are in name order: this sort merges runs rather than moving 100k large
    // entries around.
    index.sort();
    Incremental {
        index,
        files,
        files_read,
    }
}

/// Package-set jobs per unit: small enough to spread over the cores, large enough that taking a
/// unit costs nothing beside reading its files.
const JOBS_PER_UNIT: usize = 512;

fn relative(root: &Path, path: &Path) -> String {
    let path = normalize(path);
    path.strip_prefix(root)
        .unwrap_or(&path)
        .to_string_lossy()
        .into_owned()
}

/// Reads a file; when `optional`, a missing file is skipped without a problem report.
fn read_text(
    root: &Path,
    path: &Path,
    optional: bool,
    problems: &mut Vec<String>,
) -> Option<String> {
    let mut buffer = Vec::new();
    let filled = read_file(root, path, optional, &mut buffer, problems, None)?;
    buffer.truncate(filled);
    String::from_utf8(buffer)
        .map_err(|_| problems.push(not_utf8(root, path)))
        .ok()
}

/// Reads a file into `buffer`, kept between files by the caller (zeroed once, grown when a file
/// does not fit), and returns how many bytes it holds: a plain read loop, where `read_to_end`
/// would first ask for the file's size and position, two more system calls per file. When
/// `optional`, a missing file is skipped without a problem report.
fn read_file(
    root: &Path,
    path: &Path,
    optional: bool,
    buffer: &mut Vec<u8>,
    problems: &mut Vec<String>,
    stamp: Option<&mut Option<FileStamp>>,
) -> Option<usize> {
    use std::io::Read;
    if buffer.is_empty() {
        buffer.resize(64 * 1024, 0);
    }
    let mut filled = 0;
    let read = std::fs::File::open(path).and_then(|mut file| {
        // Taken before reading: a change while reading makes the next index read it again.
        if let Some(stamp) = stamp {
            *stamp = Some(FileStamp::of_file(&file)?);
        }
        loop {
            if filled == buffer.len() {
                buffer.resize(buffer.len() * 2, 0);
            }
            match file.read(&mut buffer[filled..]) {
                Ok(0) => return Ok(filled),
                Ok(n) => filled += n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    });
    match read {
        Ok(filled) => Some(filled),
        Err(err)
            if optional
                && matches!(
                    err.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
        {
            None
        }
        Err(err) => {
            problems.push(format!("{}: {err}", relative(root, path)));
            None
        }
    }
}

fn not_utf8(root: &Path, path: &Path) -> String {
    format!(
        "{}: stream did not contain valid UTF-8",
        relative(root, path)
    )
}

/// Parses a file, reporting its first syntax error (the rest is still indexed).
fn parse_reporting(
    root: &Path,
    path: &Path,
    text: String,
    problems: &mut Vec<String>,
) -> SourceFile {
    let file = SourceFile::parse(text);
    if let Some(first) = file.errors.first() {
        problems.push(format!(
            "{}:{first} (indexed what could be read)",
            relative(root, path)
        ));
    }
    file
}

/// lib/default.nix and the files it imports, read the way Nix reads them (see
/// [`super::lib_index`]).
fn index_lib(root: &Path) -> (Vec<Entry>, Vec<String>) {
    let lib = super::lib_index::index_lib(root);
    (lib.entries, lib.problems)
}

struct PackageJob {
    attr: String,
    path: PathBuf,
    /// A by-name directory may hold no package.nix: then a missing file is no problem.
    optional: bool,
    /// Read when `path` does not exist: `callPackage ../x` means `../x/default.nix` when `../x` is
    /// a directory, else the file `../x` itself. Trying the directory form first costs no `stat`.
    fallback: Option<PathBuf>,
    /// Arguments the callPackage line passes (`{ version = "1"; }`): their defaults in the file
    /// are not what the package gets.
    passed: Vec<String>,
}

/// The packages a shard directory of pkgs/by-name holds, in name order.
fn shard_jobs(shard: &Path) -> Vec<PackageJob> {
    let Ok(packages) = std::fs::read_dir(shard) else {
        return Vec::new();
    };
    // No stat per package: a directory without package.nix is skipped when reading it.
    let mut jobs: Vec<PackageJob> = packages
        .flatten()
        .map(|package| PackageJob {
            attr: package.file_name().to_string_lossy().into_owned(),
            path: package.path().join("package.nix"),
            optional: true,
            fallback: None,
            passed: Vec::new(),
        })
        .collect();
    jobs.sort_by(|a, b| a.attr.cmp(&b.attr));
    jobs
}

/// The packages the package-set files call by hand (`figlet = callPackage ../tools/misc/figlet { };`).
fn package_set_jobs(root: &Path, problems: &mut Vec<String>) -> Vec<PackageJob> {
    let mut jobs = Vec::new();
    for (file, prefix) in PACKAGE_SETS {
        let path = root.join(file);
        if !path.is_file() {
            continue;
        }
        let Some(text) = read_text(root, &path, false, problems) else {
            continue;
        };
        // The token reader when it is sure; the full parse (which reports syntax errors) else.
        let lines = super::package_set_scan::call_package_lines(&text).unwrap_or_else(|| {
            let source = parse_reporting(root, &path, text, problems);
            call_package_lines_in(source.root.syntax())
        });
        let dir = path.parent().unwrap_or(root).to_path_buf();
        for (attr, rel, passed) in lines {
            let target = dir.join(&rel);
            let (path, fallback) = if rel.ends_with(".nix") {
                (target, None)
            } else {
                (target.join("default.nix"), Some(target))
            };
            jobs.push(PackageJob {
                attr: format!("{prefix}{attr}"),
                path,
                optional: false,
                fallback,
                passed,
            });
        }
    }
    jobs.sort_by(|a, b| a.attr.cmp(&b.attr));
    jobs
}

/// A piece of the tree one worker indexes.
enum Unit {
    Lib,
    /// A run of the package-set files' callPackage jobs.
    PackageSets(std::ops::Range<usize>),
    Shard(PathBuf),
}

/// What a unit found: its entries, the problems met, and (when kept) each package file's record.
#[derive(Default)]
struct UnitResult {
    entries: Vec<Entry>,
    problems: Vec<String>,
    records: Encoded,
    files_read: usize,
}

/// The previous index's per-file results and this unit's, when the index keeps them.
struct Kept<'p> {
    previous: &'p FileResults,
    records: Encoded,
    files_read: usize,
}

/// Runs the units on all cores; results come back in unit order, each unit's entries in name
/// order.
fn run_units(
    root: &Path,
    units: &[Unit],
    set_jobs: &[PackageJob],
    report: &(dyn Fn(usize, usize) + Sync),
    previous: Option<&FileResults>,
) -> Vec<UnitResult> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let total = units.len();
    // Workers take units from a shared counter, so a slow unit (a big shard, files cold in the
    // page cache) does not leave the other workers idle.
    let (next, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let (next, done) = (&next, &done);
    let threads = super::parallel::workers(2, 16);
    let results: Vec<Vec<(usize, UnitResult)>> = super::parallel::run_each(threads, |_| {
        let mut results = Vec::new();
        // One buffer per worker: most files are read, scanned and dropped without an
        // allocation of their own.
        let mut buffer = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(unit) = units.get(i) else { break };
            let mut problems = Vec::new();
            let mut kept = previous.map(|previous| Kept {
                previous,
                records: Encoded::default(),
                files_read: 0,
            });
            let package = |job: &PackageJob| {
                package_from_file(root, job, &mut buffer, &mut problems, kept.as_mut())
            };
            let entries = match unit {
                Unit::Lib if root.join("lib/default.nix").is_file() => {
                    let (mut entries, lib_problems) = index_lib(root);
                    entries.sort_by(|a, b| a.name.cmp(&b.name));
                    problems = lib_problems;
                    entries
                }
                Unit::Lib => Vec::new(),
                Unit::PackageSets(range) => {
                    set_jobs[range.clone()].iter().filter_map(package).collect()
                }
                Unit::Shard(dir) => shard_jobs(dir).iter().filter_map(package).collect(),
            };
            let (records, files_read) =
                kept.map_or_else(Default::default, |k| (k.records, k.files_read));
            results.push((
                i,
                UnitResult {
                    entries,
                    problems,
                    records,
                    files_read,
                },
            ));
            report(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        }
        results
    });
    let mut results: Vec<_> = results.into_iter().flatten().collect();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Reads one package file into `buffer` and indexes it: the token-level reader when it is sure,
/// the full parse otherwise.
fn package_from_file(
    root: &Path,
    job: &PackageJob,
    buffer: &mut Vec<u8>,
    problems: &mut Vec<String>,
    mut kept: Option<&mut Kept>,
) -> Option<Entry> {
    if let Some(kept) = kept.as_deref_mut() {
        if let Some(entry) = reuse(job, kept, problems) {
            return Some(entry);
        }
        kept.files_read += 1;
    }
    let before = problems.len();
    let mut stamp = None;
    let wanted = kept.is_some().then_some(&mut stamp);
    let (filled, path) = match &job.fallback {
        None => (
            read_file(root, &job.path, job.optional, buffer, problems, wanted)?,
            job.path.clone(),
        ),
        Some(fallback) => match read_file(root, &job.path, true, buffer, problems, wanted) {
            Some(filled) => (filled, job.path.clone()),
            None => (
                read_file(
                    root,
                    fallback,
                    job.optional,
                    buffer,
                    problems,
                    kept.is_some().then_some(&mut stamp),
                )?,
                fallback.clone(),
            ),
        },
    };
    let resolved;
    let job = if path == job.path {
        job
    } else {
        resolved = PackageJob {
            attr: job.attr.clone(),
            path,
            optional: job.optional,
            fallback: None,
            passed: job.passed.clone(),
        };
        &resolved
    };
    let Ok(text) = std::str::from_utf8(&buffer[..filled]) else {
        problems.push(not_utf8(root, &job.path));
        return None;
    };
    let entry = match super::fast_package::extract(text).filter(|_| job.passed.is_empty()) {
        Some(fields) => entry_from_fields(root, job, fields),
        None => package_entry(
            root,
            job,
            &parse_reporting(root, &job.path, text.to_string(), problems),
        ),
    };
    if let (Some(kept), Some(stamp)) = (kept, stamp) {
        let problems = &problems[before..];
        kept.records
            .push(&job.path, &stamp, &job.passed, &entry, problems);
    }
    Some(entry)
}

/// The recorded result of a package file that has not changed since the previous index (one
/// `stat`, the same fallback as reading it), noted for the next index too.
fn reuse(job: &PackageJob, kept: &mut Kept, problems: &mut Vec<String>) -> Option<Entry> {
    if kept.previous.is_empty() {
        return None;
    }
    for path in std::iter::once(&job.path).chain(job.fallback.as_ref()) {
        let Ok(stamp) = FileStamp::of(path) else {
            continue;
        };
        let found = kept.previous.unchanged(path, &stamp, &job.passed)?;
        let mut entry = found.entry;
        if entry.name == job.attr {
            kept.records.push_record(found.record);
        } else {
            entry.name.clone_from(&job.attr);
            let passed = &job.passed;
            kept.records
                .push(path, &stamp, passed, &entry, &found.problems);
        }
        problems.extend(found.problems);
        return Some(entry);
    }
    None
}

/// An entry from what the token-level reader found (the same fields `package_entry` reads).
fn entry_from_fields(root: &Path, job: &PackageJob, fields: super::fast_package::Fields) -> Entry {
    let mut entry = Entry {
        name: job.attr.clone(),
        kind: Some(EntryKind::Package),
        file: Some(relative(root, &job.path)),
        line: Some(fields.line),
        pname: fields.pname,
        version: fields.version,
        ..Entry::default()
    };
    for (field, value) in fields.meta {
        match field.as_str() {
            "description" => entry.description = value.string(),
            "longDescription" => {
                entry.long_description = value.string().map(|s| s.trim().to_string())
            }
            "homepage" => entry.homepage = value.string(),
            "mainProgram" => entry.main_program = value.string(),
            "license" => entry.license = value.symbolic(),
            "platforms" => {
                entry.platforms = value
                    .symbolic()
                    .map(|s| s.split(", ").map(str::to_string).collect())
                    .unwrap_or_default()
            }
            _ => {}
        }
    }
    entry
}

/// A package file read in full: pname, version and description evaluated statically (see
/// [`super::static_eval`]) from the file's result, the other meta fields read where written.
fn package_entry(root: &Path, job: &PackageJob, source: &SourceFile) -> Entry {
    let mut entry = Entry {
        name: job.attr.clone(),
        kind: Some(EntryKind::Package),
        file: Some(relative(root, &job.path)),
        line: Some(1),
        ..Entry::default()
    };
    let Some(fields) = super::static_eval::package_fields(&source.root, &job.passed) else {
        return entry;
    };
    if let Some(offset) = fields.pname_offset {
        entry.line = Some(source.line_of(offset));
    }
    for kv in fields.set.attrpath_values() {
        let Some(path) = attrpath_text(&kv) else {
            continue;
        };
        let value = kv.value();
        match path.as_str() {
            "meta" => {
                if let Some(meta) = value.and_then(body_attrset) {
                    for field in meta.attrpath_values() {
                        if let (Some(name), Some(v)) = (attrpath_text(&field), field.value()) {
                            apply_meta(&mut entry, &name, &v);
                        }
                    }
                }
            }
            other => {
                if let (Some(field), Some(v)) = (other.strip_prefix("meta."), value) {
                    apply_meta(&mut entry, field, &v);
                }
            }
        }
    }
    entry.pname = fields.pname;
    entry.version = fields.version;
    entry.description = fields.description;
    entry
}

fn string_value(expr: &ast::Expr) -> Option<String> {
    match expr {
        ast::Expr::Str(s) => literal_string(s),
        ast::Expr::Paren(p) => p.expr().as_ref().and_then(string_value),
        _ => None,
    }
}

/// `licenses.mit` -> `mit`, `[ licenses.mit licenses.asl20 ]` -> `mit, asl20`, `"MIT"` -> `MIT`.
fn symbolic_value(expr: &ast::Expr) -> Option<String> {
    if let Some(text) = string_value(expr) {
        return Some(text);
    }
    match expr {
        ast::Expr::List(list) => {
            let items: Vec<String> = list.items().filter_map(|i| symbolic_value(&i)).collect();
            (!items.is_empty()).then(|| items.join(", "))
        }
        // `lib.licenses.mit` (also with an `or` default): the last attribute.
        ast::Expr::Select(select) => select
            .attrpath()
            .and_then(|path| path.attrs().last())
            .and_then(|attr| attr_name(&attr)),
        ast::Expr::Ident(ident) => Some(ident.syntax().text().to_string()),
        // `with lib.licenses; [ mit asl20 ]`: what follows `with`.
        ast::Expr::With(with) => with.body().as_ref().and_then(symbolic_value),
        _ => None,
    }
}

fn apply_meta(entry: &mut Entry, field: &str, value: &ast::Expr) {
    match field {
        "description" => entry.description = string_value(value),
        "longDescription" => {
            entry.long_description = string_value(value).map(|s| s.trim().to_string())
        }
        "homepage" => entry.homepage = string_value(value),
        "mainProgram" => entry.main_program = string_value(value),
        "license" => entry.license = symbolic_value(value),
        "platforms" => {
            entry.platforms = symbolic_value(value)
                .map(|s| s.split(", ").map(str::to_string).collect())
                .unwrap_or_default()
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nixpkgs-mini")
    }

    #[test]
    fn indexes_lib_with_docs_and_reexports() {
        let index = index_tree(&fixture());
        let f = index.get("lib.strings.concatStringsSep").expect("defined");
        assert_eq!(f.file.as_deref(), Some("lib/strings.nix"));
        assert_eq!(
            f.type_sig.as_deref(),
            Some("concatStringsSep :: string -> [string] -> string")
        );
        assert!(f
            .doc
            .as_deref()
            .unwrap()
            .starts_with("Joins a list of strings"));
        assert_eq!(f.examples.len(), 1);
        let alias = index.get("lib.concatStringsSep").expect("re-exported");
        assert_eq!(
            alias.canonical.as_deref(),
            Some("lib.strings.concatStringsSep")
        );
        assert_eq!(alias.line, f.line);
        let legacy = index.get("lib.strings.escapeRegex").unwrap();
        assert!(legacy.doc.as_deref().unwrap().contains("metacharacter"));
        assert!(index.get("lib.attrsets.mapAttrs'").is_some());
        assert!(index.problems.is_empty(), "{:?}", index.problems);
    }

    #[test]
    fn indexes_packages_from_by_name_and_call_package() {
        let index = index_tree(&fixture());
        let rg = index.get("ripgrep").expect("by-name");
        assert_eq!(rg.main_program.as_deref(), Some("rg"));
        assert_eq!(rg.version.as_deref(), Some("14.1.1"));
        assert_eq!(
            rg.file.as_deref(),
            Some("pkgs/by-name/ri/ripgrep/package.nix")
        );
        assert_eq!(rg.line, Some(3));
        let requests = index.get("python3Packages.requests").expect("python set");
        assert_eq!(requests.pname.as_deref(), Some("requests"));
        assert_eq!(requests.license.as_deref(), Some("Apache-2.0"));
        let figlet = index.get("figlet").expect("callPackage");
        assert_eq!(
            figlet.file.as_deref(),
            Some("pkgs/tools/misc/figlet/default.nix")
        );
        let hello = index.get("hello").unwrap();
        assert!(hello
            .long_description
            .as_deref()
            .unwrap()
            .contains("GNU Hello"));
    }

    /// Package files in nixpkgs' shapes (tests/fixtures/package-shapes).
    fn shapes() -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/package-shapes");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "nix"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// Whether the fast reader read `text`; when it did, it must have read it as the full parse
    /// does, and the file must parse without errors.
    fn agrees(text: &str) -> bool {
        let Some(fields) = crate::nixpkgs::fast_package::extract(text) else {
            return false;
        };
        let full = SourceFile::parse(text.to_string());
        assert!(
            full.errors.is_empty(),
            "the fast reader accepted a file with syntax errors:\n{text}"
        );
        let root = Path::new("/r");
        let job = PackageJob {
            attr: "x".into(),
            path: PathBuf::from("/r/x/package.nix"),
            optional: false,
            fallback: None,
            passed: Vec::new(),
        };
        assert_eq!(
            entry_from_fields(root, &job, fields),
            package_entry(root, &job, &full),
            "{text}"
        );
        true
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Damaged package files: a byte range deleted, or a piece of Nix syntax inserted. The fast
        /// reader either reads them exactly as the full parse does or declines.
        #[test]
        fn fast_reader_agrees_on_damaged_files(
            file in 0usize..64,
            at in 0.0f64..1.0,
            len in 0usize..6,
            insert in proptest::sample::select(vec![
                "", "\"", "''", "'''", "${", "}", "{", ";", "=", "[", "]", "(", ")", "#", "/*", "*/",
                "\\", "$", "$$", "./", "a/b", "x:y", "1.5", " or ", "let ", "with lib; ", ".", "\n", "é",
                "rec ", "inherit ", "?", "@", ":", "...", ",", "-", "!", "<", "==", "//", "++", "if ",
                " then ", " else ", " in ", "assert ", "''$", "''\\", "\\$", "x: ", "{ }", "[ ]", "1",
            ]),
        ) {
            let corpus = shapes();
            let text = &corpus[file % corpus.len()];
            let mut cut = ((text.len() as f64) * at) as usize;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let mut end = (cut + len).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let damaged = format!("{}{}{}", &text[..cut], insert, &text[end..]);
            agrees(&damaged);
        }
    }

    /// The fast reader against the full parse over every package file of a tree, e.g. one from
    /// `scripts/gen-nixpkgs.py DIR 20000 --realistic`:
    /// `NIXBENCH_CORPUS=DIR cargo test --release -- --ignored fast_reader_agrees_on_a_tree`.
    #[test]
    #[ignore]
    fn fast_reader_agrees_on_a_tree() {
        let dir = PathBuf::from(std::env::var("NIXBENCH_CORPUS").expect("NIXBENCH_CORPUS"));
        let (mut read, mut total) = (0, 0);
        for shard in std::fs::read_dir(dir.join("pkgs/by-name"))
            .unwrap()
            .flatten()
        {
            for pkg in std::fs::read_dir(shard.path()).unwrap().flatten() {
                if let Ok(text) = std::fs::read_to_string(pkg.path().join("package.nix")) {
                    total += 1;
                    read += usize::from(agrees(&text));
                }
            }
        }
        eprintln!("fast reader read {read} of {total} files");
    }

    /// The token-level reader and the full parse agree on every file the reader accepts, and the
    /// reader declines what it cannot read for sure (so the full parse reports syntax errors).
    #[test]
    fn fast_reader_agrees_with_the_full_parse() {
        let mut sources: Vec<String> = Vec::new();
        let mut stack = vec![fixture().join("pkgs")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "nix") {
                    sources.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let tricky = [
            r#"{ lib, stdenv, fetchurl }: stdenv.mkDerivation rec { pname = "a"; version = "1.0"; src = fetchurl { url = "https://x/${pname}-${version}.tar.gz"; hash = "sha256-x"; }; meta = with lib; { description = "An a"; license = licenses.mit; platforms = platforms.unix; maintainers = with maintainers; [ x y ]; mainProgram = "a"; }; }"#,
            r#"{ stdenv }: stdenv.mkDerivation (finalAttrs: { pname = "b"; version = "2"; meta.description = "B"; meta.homepage = "https://b/${finalAttrs.version}"; })"#,
            r#"{ stdenv }: stdenv.mkDerivation { name = "c-1"; meta = { description = "c"quoted""; }; }"#,
            r#"{ stdenv }: stdenv.mkDerivation { pname = "d"; version = "1"; meta = { longDescription = ''
                  Long.
                ''; }; }"#,
            r#"{ stdenv }: stdenv.mkDerivation { pname = "e"; version = "1"; meta = { license = [ "MIT" "BSD" ]; }; }"#,
            r#"{ stdenv }: let v = "1"; in stdenv.mkDerivation { pname = "f"; version = v; meta.description = "F" + "!"; }"#,
            r#"{ stdenv }: stdenv.mkDerivation { pname = "g" version = "1"; }"#,
            r#"{ stdenv }: stdenv.mkDerivation { pname = "h"; version = "1" }"#,
            r#"{ stdenv }: stdenv.mkDerivation { pname = "i"; meta = { description = "I"; }; passthru.tests = { name = "t"; }; }"#,
            r#"{ stdenv }: stdenv.mkDerivation { pname = ("j"); version = "1"; }"#,
        ];
        sources.extend(tricky.iter().map(|s| s.to_string()));
        sources.extend(shapes());
        let fast_count = sources.iter().filter(|text| agrees(text)).count();
        assert!(
            fast_count >= 18,
            "the fast path should read most packages ({fast_count} of {})",
            sources.len()
        );
        for broken in &tricky[6..8] {
            assert!(
                crate::nixpkgs::fast_package::extract(broken).is_none(),
                "{broken}"
            );
        }
    }

    #[test]
    fn broken_file_is_reported_and_rest_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkgs/by-name/ok/ok");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(
            pkg.join("package.nix"),
            "{ stdenv }: stdenv.mkDerivation { pname = \"ok\"; version = \"1\"; }",
        )
        .unwrap();
        let bad = dir.path().join("pkgs/by-name/ba/bad");
        std::fs::create_dir_all(&bad).unwrap();
        std::fs::write(
            bad.join("package.nix"),
            "{ stdenv }: stdenv.mkDerivation { pname = \"bad\"; version = ",
        )
        .unwrap();
        let index = index_tree(dir.path());
        assert!(index.get("ok").is_some());
        assert_eq!(index.problems.len(), 1);
        assert!(
            index.problems[0].starts_with("pkgs/by-name/ba/bad/package.nix:1:"),
            "{:?}",
            index.problems
        );
    }

    #[test]
    fn a_reindex_reads_only_the_files_that_changed() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let pkg = dir.path().join("pkgs/by-name").join(&name[..2]).join(name);
            std::fs::create_dir_all(&pkg).unwrap();
            std::fs::write(pkg.join("package.nix"), text).unwrap();
        };
        let package = |pname: &str, version: &str| {
            format!("{{ stdenv }}: stdenv.mkDerivation {{ pname = \"{pname}\"; version = \"{version}\"; }}")
        };
        write("hello", &package("hello", "1"));
        write("world", &package("world", "1"));
        write("broken", "{ stdenv }: stdenv.mkDerivation { pname = ");
        let none = &|_: usize, _: usize| {};
        // Each index's results go through the file the next one reads.
        let saved = tempfile::tempdir().unwrap();
        let reload = |parts: &[Encoded]| {
            let path = saved.path().join("files.bin");
            super::super::file_results::save(&path, parts).unwrap();
            FileResults::load(&path)
        };
        let first = index_tree_incremental(dir.path(), none, Some(&FileResults::default()));
        assert_eq!(first.files_read, 3);
        let again = index_tree_incremental(dir.path(), none, Some(&reload(&first.files)));
        assert_eq!(again.files_read, 0, "an unchanged tree is not read again");
        assert_eq!(again.index.entries, first.index.entries);
        assert_eq!(again.index.problems, first.index.problems);
        assert_eq!(again.index.problems.len(), 1);
        // A longer text: the stamp differs even within one tick of the file system's clock.
        write("hello", &package("hello", "2.0.1"));
        let changed = index_tree_incremental(dir.path(), none, Some(&reload(&again.files)));
        assert_eq!(changed.files_read, 1);
        assert_eq!(
            changed.index.get("hello").unwrap().version.as_deref(),
            Some("2.0.1")
        );
        assert_eq!(changed.index.entries, index_tree(dir.path()).entries);
    }
}
