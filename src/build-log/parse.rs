//! Turning log bytes into events. Tolerant by design: unknown activity and result types are kept
//! with their numbers, malformed lines become `Raw`, invalid UTF-8 is decoded lossily, and a partial
//! last line waits for its newline.

use serde_json::Value;

/// Nix's activity types (`ActivityType` in Nix's logging.hh).
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

/// One log line, understood.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Start {
        id: u64,
        parent: u64,
        kind: u64,
        level: u64,
        text: String,
        fields: Vec<Value>,
    },
    Stop {
        id: u64,
    },
    Result {
        id: u64,
        kind: u64,
        fields: Vec<Value>,
    },
    /// `msg` lines: errors, warnings, evaluation messages. `text` is without ANSI colours.
    Message {
        level: u64,
        text: String,
    },
    /// Plain output: `building '/nix/store/...drv'...`.
    PlainBuilding {
        drv_path: String,
    },
    /// Plain output: `name> line` from `nix build -L`.
    PlainLog {
        prefix: String,
        line: String,
    },
    /// Anything else, shown as it came.
    Raw(String),
}

/// Parses one line (without its newline).
pub fn parse_line(line: &str) -> Event {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if let Some(json) = line.strip_prefix("@nix ") {
        return parse_json(json).unwrap_or_else(|| Event::Raw(line.to_string()));
    }
    let plain = super::strip_ansi(line);
    if let Some(rest) = plain.strip_prefix("building '") {
        if let Some(end) = rest.find("'") {
            let drv = &rest[..end];
            if drv.ends_with(".drv") {
                return Event::PlainBuilding {
                    drv_path: drv.to_string(),
                };
            }
        }
    }
    if plain.starts_with("error:") || plain.starts_with("warning:") {
        return Event::Message {
            level: if plain.starts_with("error:") { 0 } else { 1 },
            text: plain,
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
    Event::Raw(line.to_string())
}

fn parse_json(json: &str) -> Option<Event> {
    let value: Value = serde_json::from_str(json).ok()?;
    let number = |key: &str| value.get(key).and_then(Value::as_u64);
    let fields = || {
        value
            .get("fields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    Some(match value.get("action")?.as_str()? {
        "start" => Event::Start {
            id: number("id")?,
            parent: number("parent").unwrap_or(0),
            kind: number("type").unwrap_or(0),
            level: number("level").unwrap_or(0),
            text: value
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            fields: fields(),
        },
        "stop" => Event::Stop { id: number("id")? },
        "result" => Event::Result {
            id: number("id")?,
            kind: number("type").unwrap_or(0),
            fields: fields(),
        },
        "msg" => {
            let raw = value.get("msg").and_then(Value::as_str).unwrap_or("");
            Event::Message {
                level: number("level").unwrap_or(0),
                text: super::strip_ansi(raw),
            }
        }
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
        assert!(matches!(
            start,
            Event::Start {
                id: 7,
                parent: 2,
                kind: 105,
                ..
            }
        ));
        assert_eq!(
            parse_line(r#"@nix {"action":"stop","id":7}"#),
            Event::Stop { id: 7 }
        );
        let msg = parse_line(
            "@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"\\u001b[31;1merror:\\u001b[0m boom\"}",
        );
        assert_eq!(
            msg,
            Event::Message {
                level: 0,
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
                drv_path: "/nix/store/abc-hello-1.drv".into()
            }
        );
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
            let _ = state.summary();
        }

        #[test]
        fn json_lines_with_odd_fields_never_panic(id in any::<u64>(), kind in any::<u64>(), text in ".*") {
            let line = format!("@nix {}", serde_json::json!({"action": "start", "id": id, "type": kind, "text": text, "fields": [text, 1, null]}));
            let mut state = crate::build_log::BuildState::new(4);
            state.apply(parse_line(&line), 1.0);
            state.apply(parse_line(&format!("@nix {}", serde_json::json!({"action": "result", "id": id, "type": 104, "fields": [null]}))), 2.0);
            state.apply(parse_line(&format!("@nix {}", serde_json::json!({"action": "stop", "id": id}))), 3.0);
        }
    }
}
