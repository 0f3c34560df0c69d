//! Turning log bytes into events. Tolerant by design: unknown activity and result types are kept
//! with their numbers, malformed lines become `Raw`, invalid UTF-8 is decoded lossily, and a partial
//! last line waits for its newline.
//!
//! `@nix` lines are read with borrowed strings into a typed wire struct (no `serde_json::Value`):
//! most of a big log is `buildLogLine` and `progress` results, and those are read without building a
//! map per line. Only what a view can show is copied out.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

/// Nix's activity types (`ActivityType` in Nix's logging.hh; the same numbers in Lix).
pub mod activity {
    pub const UNKNOWN: u64 = 0;
    pub const COPY_PATH: u64 = 100;
    pub const FILE_TRANSFER: u64 = 101;
    pub const REALISE: u64 = 102;
    pub const COPY_PATHS: u64 = 103;
    pub const BUILDS: u64 = 104;
    pub const BUILD: u64 = 105;
    pub const OPTIMISE_STORE: u64 = 106;
    pub const VERIFY_PATHS: u64 = 107;
    pub const SUBSTITUTE: u64 = 108;
    pub const QUERY_PATH_INFO: u64 = 109;
    pub const POST_BUILD_HOOK: u64 = 110;
    pub const BUILD_WAITING: u64 = 111;
    pub const FETCH_TREE: u64 = 112;
}

/// Nix's result types (`ResultType`).
pub mod result {
    pub const FILE_LINKED: u64 = 100;
    pub const BUILD_LOG_LINE: u64 = 101;
    pub const UNTRUSTED_PATH: u64 = 102;
    pub const CORRUPTED_PATH: u64 = 103;
    pub const SET_PHASE: u64 = 104;
    pub const PROGRESS: u64 = 105;
    pub const SET_EXPECTED: u64 = 106;
    pub const POST_BUILD_LOG_LINE: u64 = 107;
    pub const FETCH_STATUS: u64 = 108;
}

/// One entry of a `start` line's `fields`: Nix writes strings and numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Field {
    Int(u64),
    Str(String),
    /// Anything else (null, a float, a nested value): kept as a placeholder so positions hold.
    #[default]
    Other,
}

impl Field {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Field::Int(n) => Some(*n),
            _ => None,
        }
    }
}

/// One log line, understood.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Start {
        id: u64,
        parent: u64,
        kind: u64,
        level: u64,
        text: String,
        fields: Vec<Field>,
    },
    Stop {
        id: u64,
    },
    /// A `result` other than a log line: the numbers of `progress`/`setExpected`/`fileLinked` and
    /// the text of `setPhase` and friends, without a heap allocation for the numbers.
    Result {
        id: u64,
        kind: u64,
        ints: [u64; 4],
        text: Option<String>,
    },
    /// `buildLogLine` / `postBuildLogLine`: the builder's output line, without colours.
    LogLine {
        id: u64,
        line: String,
    },
    /// `msg` lines and plain `error:`/`warning:` lines. `level` is Nix's verbosity (0 = error); plain
    /// lines have none. `text` is without ANSI colours.
    Message {
        level: Option<u64>,
        text: String,
    },
    /// Plain output: `building '/nix/store/...drv'...` or `... on 'ssh://host'...`.
    PlainBuilding {
        drv_path: String,
        host: String,
    },
    /// Plain output: `name> line` from `nix build -L`.
    PlainLog {
        prefix: String,
        line: String,
    },
    /// Anything else, shown as it came (plan lists, `copying path` lines and builder output of
    /// old-style logs are read from here by the state).
    Raw(String),
}

/// Parses one line (without its newline).
pub fn parse_line(line: &str) -> Event {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if let Some(json) = line.strip_prefix("@nix ") {
        return parse_json(json).unwrap_or_else(|| Event::Raw(line.to_string()));
    }
    let plain = super::without_ansi(line);
    if let Some(event) = plain_building(&plain) {
        return event;
    }
    if plain.starts_with("error:") || super::messages::is_plain_failure(&plain) {
        return Event::Message {
            level: Some(0),
            text: plain.into_owned(),
        };
    }
    if plain.starts_with("warning:") {
        return Event::Message {
            level: Some(1),
            text: plain.into_owned(),
        };
    }
    if let Some((prefix, rest)) = plain.split_once("> ") {
        if !prefix.is_empty() && !prefix.contains(' ') && prefix.len() < 80 {
            return Event::PlainLog {
                prefix: prefix.to_string(),
                line: rest.to_string(),
            };
        }
    }
    Event::Raw(plain.into_owned())
}

/// `building '/nix/store/x.drv'...` and `building '/nix/store/x.drv' on 'ssh://host'...`.
fn plain_building(plain: &str) -> Option<Event> {
    let rest = plain.strip_prefix("building '")?;
    let (drv, after) = rest.split_once('\'')?;
    if !drv.ends_with(".drv") {
        return None;
    }
    let host = after
        .strip_prefix(" on '")
        .and_then(|h| h.split_once('\''))
        .map(|(host, _)| host.to_string())
        .unwrap_or_default();
    Some(Event::PlainBuilding {
        drv_path: drv.to_string(),
        host,
    })
}

/// The wire shape of an `@nix` line; strings borrow from the line when they have no escapes.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(default)]
    id: u64,
    #[serde(default)]
    parent: u64,
    #[serde(default, rename = "type")]
    kind: u64,
    #[serde(default)]
    level: Option<u64>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    msg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    fields: WireFields<'a>,
}

/// Up to four fields (Nix never sends more); further ones are skipped unread.
#[derive(Default)]
struct WireFields<'a> {
    items: [WireField<'a>; 4],
    len: usize,
}

#[derive(Default)]
enum WireField<'a> {
    Int(u64),
    Str(Cow<'a, str>),
    #[default]
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for WireFields<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Fields<'a> {
            type Value = WireFields<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of fields")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut fields = WireFields::default();
                while fields.len < fields.items.len() {
                    match seq.next_element::<WireField<'a>>()? {
                        Some(field) => {
                            fields.items[fields.len] = field;
                            fields.len += 1;
                        }
                        None => return Ok(fields),
                    }
                }
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(fields)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(WireFields::default())
            }
        }
        deserializer.deserialize_any(Fields(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WireField<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct One<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for One<'a> {
            type Value = WireField<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
                Ok(WireField::Int(n))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
                Ok(u64::try_from(n).map_or(WireField::Other, WireField::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(WireField::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(WireField::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(WireField::Other)
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(WireField::Str(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(WireField::Str(Cow::Owned(text.to_string())))
            }
            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(WireField::Str(Cow::Owned(text)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(WireField::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(WireField::Other)
            }
        }
        deserializer.deserialize_any(One(std::marker::PhantomData))
    }
}

impl WireFields<'_> {
    fn iter(&self) -> impl Iterator<Item = &WireField<'_>> {
        self.items[..self.len].iter()
    }

    fn first_str(&self) -> Option<&str> {
        match self.items.first() {
            Some(WireField::Str(text)) if self.len > 0 => Some(text),
            _ => None,
        }
    }

    fn ints(&self) -> [u64; 4] {
        let mut ints = [0; 4];
        for (slot, field) in ints.iter_mut().zip(self.iter()) {
            if let WireField::Int(n) = field {
                *slot = *n;
            }
        }
        ints
    }

    fn owned(&self) -> Vec<Field> {
        self.iter()
            .map(|field| match field {
                WireField::Int(n) => Field::Int(*n),
                WireField::Str(text) => Field::Str(text.to_string()),
                WireField::Other => Field::Other,
            })
            .collect()
    }
}

/// The layout Nix writes for a builder's output line, `{"action":"result","fields":["..."],
/// "id":N,"type":101}` (keys sorted, no spaces), read without a JSON parser: most lines of a big log
/// are these. Anything else, or anything unexpected, goes through serde.
fn fast_log_line(json: &str) -> Option<Event> {
    let rest = json.strip_prefix(r#"{"action":"result","fields":[""#)?;
    let bytes = rest.as_bytes();
    let mut end = 0;
    let mut escaped = false;
    while end < bytes.len() {
        match bytes[end] {
            b'\\' => {
                escaped = true;
                end += 2;
                continue;
            }
            b'"' => break,
            byte if byte < 0x20 => return None,
            _ => {}
        }
        end += 1;
    }
    let body = rest.get(..end)?;
    let tail = rest.get(end..)?.strip_prefix(r#""],"id":"#)?;
    let (id, tail) = tail.split_once(',')?;
    let kind = tail.strip_prefix(r#""type":"#)?.strip_suffix('}')?;
    if kind != "101" && kind != "107" {
        return None;
    }
    let id = id.parse().ok()?;
    let line = if escaped {
        unescape_without_ansi(body)?
    } else {
        body.to_string()
    };
    Some(Event::LogLine { id, line })
}

/// Decodes a JSON string body and drops ANSI sequences in one pass (what `serde_json` and
/// [`super::without_ansi`] do in two). `None` for anything malformed, which then goes through serde.
fn unescape_without_ansi(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut ansi = super::AnsiFilter::default();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        let c = if c == '\\' {
            match chars.next()? {
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => {
                    let unit = hex4(&mut chars)?;
                    if (0xD800..0xDC00).contains(&unit) {
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let low = hex4(&mut chars)?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return None;
                        }
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                    } else {
                        char::from_u32(unit)?
                    }
                }
                _ => return None,
            }
        } else {
            c
        };
        if ansi.keep(c) {
            out.push(c);
        }
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.to_digit(16)?;
    }
    Some(value)
}

fn parse_json(json: &str) -> Option<Event> {
    if let Some(event) = fast_log_line(json) {
        return Some(event);
    }
    let wire: Wire = serde_json::from_str(json).ok()?;
    Some(match &*wire.action {
        "start" => Event::Start {
            id: wire.id,
            parent: wire.parent,
            kind: wire.kind,
            level: wire.level.unwrap_or(0),
            text: wire
                .text
                .map(|t| super::without_ansi(&t).into_owned())
                .unwrap_or_default(),
            fields: wire.fields.owned(),
        },
        "stop" => Event::Stop { id: wire.id },
        "result" => match wire.kind {
            result::BUILD_LOG_LINE | result::POST_BUILD_LOG_LINE => Event::LogLine {
                id: wire.id,
                line: super::without_ansi(wire.fields.first_str().unwrap_or("")).into_owned(),
            },
            kind => Event::Result {
                id: wire.id,
                kind,
                ints: wire.fields.ints(),
                text: wire.fields.first_str().map(str::to_string),
            },
        },
        "msg" => Event::Message {
            level: Some(wire.level.unwrap_or(0)),
            text: super::without_ansi(wire.msg.as_deref().unwrap_or("")).into_owned(),
        },
        _ => return None,
    })
}
/// Splits a byte stream into lines, keeping a partial last line until its end arrives.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
    /// Bytes consumed so far in complete lines: where a resumed reader should continue from.
    pub complete_bytes: u64,
}

impl LineSplitter {
    /// Feeds bytes; calls `on_line` for each complete line (lossily decoded).
    pub fn feed(&mut self, bytes: &[u8], mut on_line: impl FnMut(&str)) {
        let mut rest = bytes;
        while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(newline);
            self.complete_bytes += (self.pending.len() + head.len() + 1) as u64;
            if self.pending.is_empty() {
                on_line(&String::from_utf8_lossy(head));
            } else {
                self.pending.extend_from_slice(head);
                on_line(&String::from_utf8_lossy(&self.pending));
                self.pending.clear();
            }
            rest = &tail[1..];
        }
        self.pending.extend_from_slice(rest);
    }

    /// Forgets a partial line and counts from `offset`: for a reader that restarts at the first byte
    /// of that line.
    pub fn restart_at(&mut self, offset: u64) {
        self.pending.clear();
        self.complete_bytes = offset;
    }

    /// At the end of input: the unterminated last line, if any.
    pub fn finish(&mut self, mut on_line: impl FnMut(&str)) {
        if !self.pending.is_empty() {
            self.complete_bytes += self.pending.len() as u64;
            on_line(&String::from_utf8_lossy(&self.pending));
            self.pending.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_each_action() {
        let start = parse_line(
            r#"@nix {"action":"start","fields":["/nix/store/x-a.drv","",1,1],"id":7,"level":3,"parent":2,"text":"building","type":105}"#,
        );
        let Event::Start {
            id: 7,
            parent: 2,
            kind: 105,
            fields,
            ..
        } = start
        else {
            panic!("{start:?}");
        };
        assert_eq!(fields[0].as_str(), Some("/nix/store/x-a.drv"));
        assert_eq!(fields[3].as_u64(), Some(1));
        assert_eq!(
            parse_line(r#"@nix {"action":"stop","id":7}"#),
            Event::Stop { id: 7 }
        );
        assert_eq!(
            parse_line(r#"@nix {"action":"result","fields":[1,4,0,0],"id":9,"type":105}"#),
            Event::Result {
                id: 9,
                kind: 105,
                ints: [1, 4, 0, 0],
                text: None
            }
        );
        assert_eq!(
            parse_line(
                r#"@nix {"action":"result","fields":["a \"quoted\" \u001b[1mline"],"id":9,"type":101}"#
            ),
            Event::LogLine {
                id: 9,
                line: "a \"quoted\" line".into()
            }
        );
        let msg = parse_line(
            "@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"\\u001b[31;1merror:\\u001b[0m boom\"}",
        );
        assert_eq!(
            msg,
            Event::Message {
                level: Some(0),
                text: "error: boom".into()
            }
        );
        assert!(matches!(parse_line("@nix {not json"), Event::Raw(_)));
        assert!(matches!(
            parse_line(r#"@nix {"action":"teleport","id":1}"#),
            Event::Raw(_)
        ));
        assert_eq!(
            parse_line("hello> Running phase: buildPhase"),
            Event::PlainLog {
                prefix: "hello".into(),
                line: "Running phase: buildPhase".into()
            }
        );
        assert_eq!(
            parse_line("building '/nix/store/abc-hello-1.drv'..."),
            Event::PlainBuilding {
                drv_path: "/nix/store/abc-hello-1.drv".into(),
                host: String::new(),
            }
        );
    }

    /// The typed reader agrees with a generic JSON parse on every line of real Nix logs.
    #[test]
    fn agrees_with_a_generic_parse_on_real_logs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden/nix-2.8.0");
        for file in [
            "build-failure-keep-going.internal-json",
            "build-success.internal-json",
        ] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            for line in text.lines().filter(|l| l.starts_with("@nix ")) {
                let value: serde_json::Value = serde_json::from_str(&line[5..]).unwrap();
                let id = value["id"].as_u64();
                match parse_line(line) {
                    Event::Start { id: got, .. } | Event::Stop { id: got } => {
                        assert_eq!(Some(got), id)
                    }
                    Event::Result { id: got, ints, .. } => {
                        assert_eq!(Some(got), id);
                        if let Some(n) = value["fields"][0].as_u64() {
                            assert_eq!(ints[0], n);
                        }
                    }
                    Event::LogLine { line: got, .. } => assert_eq!(
                        got,
                        crate::build_log::strip_ansi(value["fields"][0].as_str().unwrap())
                    ),
                    Event::Message { text, .. } => assert_eq!(
                        text,
                        crate::build_log::strip_ansi(value["msg"].as_str().unwrap())
                    ),
                    other => panic!("{line} -> {other:?}"),
                }
            }
        }
    }

    #[test]
    fn osc8_hyperlinks_are_stripped_from_log_lines() {
        // gcc's -fdiagnostics-urls output (BEL-terminated) and a store path linked with `ESC \`.
        let gcc = "main.c:3:7: \u{1b}[01;35m\u{1b}[Kwarning: \u{1b}[m\u{1b}[Kunused variable \u{2018}x\u{2019} [\u{1b}[01;35m\u{1b}[K\u{1b}]8;;https://gcc.gnu.org/onlinedocs/gcc/Warning-Options.html#index-Wunused-variable\u{7}-Wunused-variable\u{1b}]8;;\u{7}\u{1b}[m\u{1b}[K]";
        let store = "copying \u{1b}]8;;file:///nix/store/0c9zhzs5wrz6fwz0w1ml4lbgcp7jjxpv-hello-2.12.1\u{1b}\\/nix/store/0c9zhzs5wrz6fwz0w1ml4lbgcp7jjxpv-hello-2.12.1\u{1b}]8;;\u{1b}\\ done";
        let cases = [
            (
                gcc,
                "main.c:3:7: warning: unused variable \u{2018}x\u{2019} [-Wunused-variable]",
            ),
            (
                store,
                "copying /nix/store/0c9zhzs5wrz6fwz0w1ml4lbgcp7jjxpv-hello-2.12.1 done",
            ),
        ];
        for (raw, plain) in cases {
            assert_eq!(crate::build_log::strip_ansi(raw), plain);
            let json = serde_json::to_string(raw).unwrap();
            let line = format!(r#"@nix {{"action":"result","fields":[{json}],"id":3,"type":101}}"#);
            let expected = Event::LogLine {
                id: 3,
                line: plain.to_string(),
            };
            assert_eq!(parse_line(&line), expected);
        }
    }

    #[test]
    fn splitter_holds_partial_lines_and_decodes_lossily() {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        splitter.feed(b"one\ntw", |l| lines.push(l.to_string()));
        assert_eq!(lines, ["one"]);
        assert_eq!(splitter.complete_bytes, 4);
        splitter.feed(b"o\n\xff\xfe\n", |l| lines.push(l.to_string()));
        splitter.feed(b"tail", |l| lines.push(l.to_string()));
        splitter.finish(|l| lines.push(l.to_string()));
        assert_eq!(lines, ["one", "two", "\u{fffd}\u{fffd}", "tail"]);
    }

    proptest! {
        /// The one-pass decoder reads builder output exactly as serde_json plus ANSI stripping do.
        #[test]
        fn log_line_decoder_agrees_with_serde(text in "(\\PC|\u{1b}\\[[0-9;]{0,4}[a-zA-Z]?|\u{1b}\\][0-9;:/a-z]{0,8}(\u{7}|\u{1b}\\\\)?|\u{1b}|[\"\\\\/\n\t])*") {
            let line = format!(r#"@nix {{"action":"result","fields":[{}],"id":3,"type":101}}"#, serde_json::to_string(&text).unwrap());
            let expected = crate::build_log::strip_ansi(&text);
            prop_assert_eq!(parse_line(&line), Event::LogLine { id: 3, line: expected });
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..400) {
            let mut splitter = LineSplitter::default();
            let cut = cut.min(bytes.len());
            let mut state = crate::build_log::BuildState::new(16);
            splitter.feed(&bytes[..cut], |l| {
                state.apply(parse_line(l), 0.0);
            });
            splitter.feed(&bytes[cut..], |l| {
                state.apply(parse_line(l), 0.0);
            });
            splitter.finish(|l| {
                state.apply(parse_line(l), 0.0);
            });
            state.finish(1.0);
            let _ = state.summary();
        }

        #[test]
        fn json_lines_with_odd_fields_never_panic(id in any::<u64>(), kind in any::<u64>(), text in ".*") {
            let line = format!("@nix {}", serde_json::json!({"action": "start", "id": id, "type": kind, "text": text, "fields": [text, 1, null, [1], {"a": 2}, -3]}));
            let mut state = crate::build_log::BuildState::new(4);
            state.apply(parse_line(&line), 1.0);
            state.apply(parse_line(&format!("@nix {}", serde_json::json!({"action": "result", "id": id, "type": 104, "fields": [null]}))), 2.0);
            state.apply(parse_line(&format!("@nix {}", serde_json::json!({"action": "result", "id": id, "type": 105, "fields": [1, 2, "x", -1.5]}))), 2.5);
            state.apply(parse_line(&format!("@nix {}", serde_json::json!({"action": "msg", "level": 0, "msg": text}))), 2.7);
            state.apply(parse_line(&format!("@nix {}", serde_json::json!({"action": "stop", "id": id}))), 3.0);
            state.finish(4.0);
        }
    }
}
