//! One streaming pass over evaluated package JSON: `nix-env -qaP --json --meta`, a channel's
//! packages.json (`{ "packages": ... }`) and `nix search --json` (`legacyPackages.SYSTEM.ATTR` keys,
//! description at the top). Strings are borrowed from the input where JSON allows it and each
//! package becomes an [`Entry`] as soon as it is read, so memory holds the entries, never a tree of
//! the whole document (150k packages of nix-env output are ~200 MB of JSON).

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{Entry, EntryKind};

/// Parses `bytes` and returns the entries in the order the input lists them. `root` (the nixpkgs
/// directory) makes `meta.position` relative.
pub fn parse(bytes: &[u8], root: Option<&Path>) -> Result<Vec<Entry>, serde_json::Error> {
    let mut entries = Vec::with_capacity(bytes.len() / 1024);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    deserializer.deserialize_map(TopLevel {
        entries: &mut entries,
        root,
    })?;
    deserializer.end()?;
    Ok(entries)
}

/// Like [`parse`], on every core when the file allows it. nix-env prints one top-level attribute
/// per `\n  "` (a raw newline only occurs between tokens in JSON), so the file is cut there into
/// objects of their own: the comma before a cut becomes `}` closing the part before it, and the
/// newline after it `{` opening the next. Both parts parse only when the cut really was between
/// top-level attributes; otherwise (other layouts, a channel's nesting) the file is parsed whole.
/// `private` must be a private (copy-on-write) copy of the file: the cut bytes are written there.
pub fn parse_parallel(
    private: &mut [u8],
    root: Option<&Path>,
) -> Result<Vec<Entry>, serde_json::Error> {
    let parts = super::parallel::workers(1, 8);
    let cuts = cut_points(private, parts);
    if cuts.is_empty() {
        return parse(private, root);
    }
    let original: Vec<(u8, u8)> = cuts
        .iter()
        .map(|&at| (private[at], private[at + 1]))
        .collect();
    for &at in &cuts {
        private[at] = b'}';
        private[at + 1] = b'{';
    }
    let bytes: &[u8] = private;
    let mut ranges = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &at in &cuts {
        ranges.push(start..at + 1);
        start = at + 1;
    }
    ranges.push(start..bytes.len());
    let results =
        super::parallel::run_each(ranges.len(), |i| parse(&bytes[ranges[i].clone()], root));
    if results.iter().any(Result::is_err) {
        for (&at, &(comma, newline)) in cuts.iter().zip(&original) {
            private[at] = comma;
            private[at + 1] = newline;
        }
        return parse(private, root);
    }
    let mut entries = Vec::new();
    for part in results {
        entries.extend(part?);
    }
    Ok(entries)
}

/// Offsets of `,` in `,\n  "` near each `1/parts` of the file (at most `parts - 1` of them).
fn cut_points(bytes: &[u8], parts: usize) -> Vec<usize> {
    const PATTERN: &[u8] = b",\n  \"";
    let mut cuts: Vec<usize> = Vec::new();
    for part in 1..parts {
        let from = bytes.len() * part / parts;
        let found = bytes[from..]
            .windows(PATTERN.len())
            .position(|w| w == PATTERN)
            .map(|i| from + i);
        if let Some(at) = found {
            if cuts.last().is_none_or(|&last| at > last + 1) {
                cuts.push(at);
            }
        }
    }
    cuts
}

/// Field names of one package; any other key of a set is an attribute holding a package.
const PACKAGE_FIELDS: &[&str] = &[
    "name",
    "pname",
    "version",
    "system",
    "outputName",
    "outputs",
    "meta",
    "description",
    "drvPath",
    "outPath",
];

/// Drains a map or a sequence without keeping anything.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the visitor methods for values that are not strings: they are read and dropped.
macro_rules! ignore_other_values {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

struct TopLevel<'a> {
    entries: &'a mut Vec<Entry>,
    root: Option<&'a Path>,
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of packages keyed by attribute path")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                // A channel's packages.json: `{ "version": 2, "packages": { ATTR: PACKAGE } }`.
                "packages" => map.next_value_seed(PackagesOrPackage {
                    attr: key,
                    entries: self.entries,
                    root: self.root,
                })?,
                // packages.json's format number and revision; an object there is a package.
                "version" | "commit" => {
                    if let Some(raw) = map.next_value::<MaybePackage>()?.0 {
                        self.entries.push(to_entry(&key, raw, self.root));
                    }
                }
                _ => {
                    let raw: RawPackage = map.next_value()?;
                    self.entries.push(to_entry(&key, raw, self.root));
                }
            }
        }
        Ok(())
    }
}

/// The value under `packages`: a channel's set of packages, or (in nix-env output) a package whose
/// attribute is `packages`. Told apart by the keys: a package's are [`PACKAGE_FIELDS`].
struct PackagesOrPackage<'a, 'de> {
    attr: Cow<'de, str>,
    entries: &'a mut Vec<Entry>,
    root: Option<&'a Path>,
}

impl<'de> DeserializeSeed<'de> for PackagesOrPackage<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PackagesOrPackage<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of packages or a package")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut own = RawPackage::default();
        let mut is_package = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if PACKAGE_FIELDS.contains(&key.as_ref()) {
                is_package = true;
                own.set_field(&key, &mut map)?;
            } else {
                let raw: RawPackage = map.next_value()?;
                self.entries.push(to_entry(&key, raw, self.root));
            }
        }
        if is_package {
            self.entries.push(to_entry(&self.attr, own, self.root));
        }
        Ok(())
    }
}

#[derive(Default)]
struct RawPackage<'de> {
    name: Option<Cow<'de, str>>,
    pname: Option<Cow<'de, str>>,
    version: Option<Cow<'de, str>>,
    /// `nix search --json` puts the description beside pname and version.
    description: Option<Cow<'de, str>>,
    meta: RawMeta<'de>,
}

impl<'de> RawPackage<'de> {
    fn set_field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "name" => self.name = map.next_value::<AnyString>()?.0,
            "pname" => self.pname = map.next_value::<AnyString>()?.0,
            "version" => self.version = map.next_value::<AnyString>()?.0,
            "description" => self.description = map.next_value::<AnyString>()?.0,
            "meta" => self.meta = map.next_value()?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for RawPackage<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PackageVisitor;
        impl<'de> Visitor<'de> for PackageVisitor {
            type Value = RawPackage<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a package object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPackage<'de>, A::Error> {
                let mut raw = RawPackage::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    raw.set_field(&key, &mut map)?;
                }
                Ok(raw)
            }
        }
        deserializer.deserialize_map(PackageVisitor)
    }
}

/// A package when the value is an object, `None` for anything else.
struct MaybePackage<'de>(Option<RawPackage<'de>>);

impl<'de> Deserialize<'de> for MaybePackage<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MaybeVisitor;
        impl<'de> Visitor<'de> for MaybeVisitor {
            type Value = MaybePackage<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut raw = RawPackage::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    raw.set_field(&key, &mut map)?;
                }
                Ok(MaybePackage(Some(raw)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MaybePackage(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| MaybePackage(None))
            }
            ignore_other_values!(MaybePackage(None));
        }
        deserializer.deserialize_any(MaybeVisitor)
    }
}

#[derive(Default)]
struct RawMeta<'de> {
    description: Option<Cow<'de, str>>,
    long_description: Option<Cow<'de, str>>,
    homepage: Option<Cow<'de, str>>,
    license: Option<String>,
    main_program: Option<Cow<'de, str>>,
    platforms: Vec<String>,
    position: Option<Cow<'de, str>>,
}

impl<'de> Deserialize<'de> for RawMeta<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MetaVisitor;
        impl<'de> Visitor<'de> for MetaVisitor {
            type Value = RawMeta<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a meta object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMeta<'de>, A::Error> {
                let mut meta = RawMeta::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "description" => meta.description = map.next_value::<AnyString>()?.0,
                        "longDescription" => {
                            meta.long_description = map.next_value::<AnyString>()?.0
                        }
                        "homepage" => meta.homepage = map.next_value::<FirstString>()?.0,
                        "license" => meta.license = map.next_value::<License>()?.0,
                        "mainProgram" => meta.main_program = map.next_value::<AnyString>()?.0,
                        "platforms" => meta.platforms = map.next_value::<Strings>()?.0,
                        "position" => meta.position = map.next_value::<AnyString>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(meta)
            }
        }
        deserializer.deserialize_any(MetaVisitor)
    }
}

/// A string when the value is one (borrowed when it has no escapes), `None` for anything else.
struct AnyString<'de>(Option<Cow<'de, str>>);

struct AnyStringVisitor;

impl<'de> Visitor<'de> for AnyStringVisitor {
    type Value = AnyString<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(AnyString(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(AnyString(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(AnyString(Some(Cow::Owned(v))))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| AnyString(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| AnyString(None))
    }
    ignore_other_values!(AnyString(None));
}

impl<'de> Deserialize<'de> for AnyString<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyStringVisitor)
    }
}

/// A string, or the first string of a list (`homepage` is either).
struct FirstString<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for FirstString<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FirstVisitor;
        impl<'de> Visitor<'de> for FirstVisitor {
            type Value = FirstString<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(FirstString(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FirstString(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut first = None;
                while let Some(item) = seq.next_element::<FirstString<'de>>()? {
                    first = first.or(item.0);
                }
                Ok(FirstString(first))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map).map(|()| FirstString(None))
            }
            ignore_other_values!(FirstString(None));
        }
        deserializer.deserialize_any(FirstVisitor)
    }
}

/// The strings of a list; other items (platform patterns are sets) are skipped.
struct Strings(Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringsVisitor;
        impl<'de> Visitor<'de> for StringsVisitor {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<AnyString<'de>>()? {
                    items.extend(item.0.map(Cow::into_owned));
                }
                Ok(Strings(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map).map(|()| Strings(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Strings(Vec::new()))
            }
            ignore_other_values!(Strings(Vec::new()));
        }
        deserializer.deserialize_any(StringsVisitor)
    }
}

/// Licenses come as a string, an object with `spdxId`/`shortName`/`fullName`, or a list of either
/// (joined with ", ").
struct License(Option<String>);

impl<'de> Deserialize<'de> for License {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LicenseVisitor;
        impl<'de> Visitor<'de> for LicenseVisitor {
            type Value = License;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a license")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(License(Some(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // Preference: spdxId, then shortName, then fullName.
                let mut found: [Option<Cow<'de, str>>; 3] = [None, None, None];
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "spdxId" => 0,
                        "shortName" => 1,
                        "fullName" => 2,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    found[slot] = map.next_value::<AnyString>()?.0;
                }
                Ok(License(
                    found.into_iter().flatten().next().map(Cow::into_owned),
                ))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names: Vec<String> = Vec::new();
                while let Some(item) = seq.next_element::<License>()? {
                    names.extend(item.0);
                }
                Ok(License((!names.is_empty()).then(|| names.join(", "))))
            }
            ignore_other_values!(License(None));
        }
        deserializer.deserialize_any(LicenseVisitor)
    }
}

/// `legacyPackages.x86_64-linux.hello` (a `nix search --json` key) is the attribute `hello`.
fn attribute_path(key: &str) -> &str {
    for prefix in ["legacyPackages.", "packages."] {
        if let Some(rest) = key.strip_prefix(prefix) {
            if let Some((_system, attr)) = rest.split_once('.') {
                return attr;
            }
        }
    }
    key
}

fn owned(text: Option<Cow<'_, str>>) -> Option<String> {
    text.map(Cow::into_owned)
}

fn to_entry(key: &str, raw: RawPackage, root: Option<&Path>) -> Entry {
    let (pname, version) = match (raw.pname, raw.version) {
        (Some(p), Some(v)) => (Some(p.into_owned()), Some(v.into_owned())),
        (p, v) => {
            // Older nix-env prints only `name`: split at the first dash followed by a digit.
            let name = raw.name.unwrap_or_default();
            let split = name.char_indices().find(|&(i, c)| {
                c == '-' && name[i + 1..].starts_with(|d: char| d.is_ascii_digit())
            });
            match split {
                Some((i, _)) => (
                    owned(p).or(Some(name[..i].to_string())),
                    owned(v).or(Some(name[i + 1..].to_string())),
                ),
                None => (owned(p).or(Some(name.into_owned())), owned(v)),
            }
        }
    };
    let (file, line) = raw
        .meta
        .position
        .as_deref()
        .and_then(|pos| pos.rsplit_once(':'))
        .map(|(file, line)| {
            let file = root
                .and_then(|root| Path::new(file).strip_prefix(root).ok())
                .map(|rel| rel.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.to_string());
            (Some(file), line.parse().ok())
        })
        .unwrap_or((None, None));
    Entry {
        name: attribute_path(key).to_string(),
        kind: Some(EntryKind::Package),
        pname,
        version: version.filter(|v| !v.is_empty()),
        description: owned(raw.meta.description.or(raw.description)),
        long_description: raw.meta.long_description.map(|s| s.trim().to_string()),
        homepage: owned(raw.meta.homepage),
        license: raw.meta.license,
        main_program: owned(raw.meta.main_program),
        platforms: raw.meta.platforms,
        file,
        line,
        ..Entry::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_parse_equals_serial_parse() {
        let mut document = String::from("{");
        for i in 0..2000 {
            if i > 0 {
                document.push(',');
            }
            // Nested keys indented by two as well: a cut there must be noticed and undone.
            document.push_str(&format!(
                "\n  \"p{i:04}\": {{\"name\": \"p-{i}\",\n  \"meta\": {{\"description\": \"d {i}\"}}}}"
            ));
        }
        document.push_str("\n}");
        let serial = parse(document.as_bytes(), None).unwrap();
        assert_eq!(serial.len(), 2000);
        let mut private = document.clone().into_bytes();
        assert_eq!(parse_parallel(&mut private, None).unwrap(), serial);
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&document).unwrap(),
        )
        .unwrap();
        let mut private = pretty.into_bytes();
        assert_eq!(parse_parallel(&mut private, None).unwrap(), serial);
        let mut broken = b"{\"a\": {},\n  \"b\": ".to_vec();
        assert!(parse_parallel(&mut broken, None).is_err());
    }

    #[test]
    fn nix_search_shape() {
        let json = r#"{"legacyPackages.x86_64-linux.hello":{"description":"Says hello","pname":"hello","version":"2.12.1"}}"#;
        let entries = parse(json.as_bytes(), None).unwrap();
        assert_eq!(entries[0].name, "hello");
        assert_eq!(entries[0].description.as_deref(), Some("Says hello"));
        assert_eq!(entries[0].version.as_deref(), Some("2.12.1"));
    }

    #[test]
    fn odd_values_are_skipped_not_errors() {
        let json = r#"{"packages":{"name":"packages-1.0","meta":{"platforms":[{"kernel":{"name":"linux"}},"x86_64-linux"],"homepage":[],"license":{"free":true},"position":"/src/pkgs/a.nix:7","description":"esc\"aped"}},
            "a":{"name":"a","meta":{"license":"MIT","longDescription":"  long\n"}}}"#;
        let entries = parse(json.as_bytes(), Some(Path::new("/src"))).unwrap();
        assert_eq!(entries.len(), 2);
        let pkg = entries.iter().find(|e| e.name == "packages").unwrap();
        assert_eq!(pkg.platforms, vec!["x86_64-linux"]);
        assert_eq!(pkg.homepage, None);
        assert_eq!(pkg.license, None);
        assert_eq!(pkg.file.as_deref(), Some("pkgs/a.nix"));
        assert_eq!(pkg.line, Some(7));
        assert_eq!(pkg.description.as_deref(), Some("esc\"aped"));
        assert_eq!(pkg.version.as_deref(), Some("1.0"));
        let a = entries.iter().find(|e| e.name == "a").unwrap();
        assert_eq!(a.long_description.as_deref(), Some("long"));
        assert_eq!(a.pname.as_deref(), Some("a"));
        assert!(parse(b"[1,2]", None).is_err());
        assert!(parse(b"{\"a\":{}} trailing", None).is_err());
    }
}
