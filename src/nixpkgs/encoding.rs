//! The encoding of index entries shared by the cache file (which writes and maps them) and the
//! search (which decodes the few it shows): length-prefixed strings, a presence mask for the
//! optional fields, and a bounds-checked reader, so a damaged file is a miss, not a wrong read.

use super::{Entry, EntryKind};

/// The bytes of a cache file: mapped, so opening reads only the pages a search touches (the keys,
/// and the entries it shows), or read into memory where mapping is not possible.
pub enum CacheBytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for CacheBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            CacheBytes::Mapped(map) => map,
            CacheBytes::Owned(bytes) => bytes,
        }
    }
}

pub(super) fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// The start of a file nixbench writes for itself: what it is, then its format's version.
pub(super) fn put_header(out: &mut Vec<u8>, magic: &[u8; 8], format: u32) {
    out.extend_from_slice(magic);
    put_u32(out, format);
}

pub(super) fn put_str(out: &mut Vec<u8>, text: &str) {
    put_u32(out, text.len() as u32);
    out.extend_from_slice(text.as_bytes());
}

pub(super) fn kind_code(kind: Option<EntryKind>) -> u8 {
    match kind {
        None => 0,
        Some(EntryKind::Package) => 1,
        Some(EntryKind::Function) => 2,
        Some(EntryKind::Builtin) => 3,
    }
}

pub(super) fn kind_of(code: u8) -> Option<EntryKind> {
    match code {
        1 => Some(EntryKind::Package),
        2 => Some(EntryKind::Function),
        3 => Some(EntryKind::Builtin),
        _ => None,
    }
}

pub(super) fn encode_entry(out: &mut Vec<u8>, e: &Entry) {
    put_str(out, &e.name);
    out.push(kind_code(e.kind));
    let optionals = [
        &e.pname,
        &e.version,
        &e.description,
        &e.long_description,
        &e.homepage,
        &e.license,
        &e.main_program,
        &e.file,
        &e.type_sig,
        &e.doc,
        &e.canonical,
    ];
    let mut mask = 0u16;
    for (bit, field) in optionals.iter().enumerate() {
        if field.is_some() {
            mask |= 1 << bit;
        }
    }
    if e.line.is_some() {
        mask |= 1 << 11;
    }
    if e.arity.is_some() {
        mask |= 1 << 12;
    }
    out.extend_from_slice(&mask.to_le_bytes());
    for field in optionals.iter().copied().flatten() {
        put_str(out, field);
    }
    if let Some(line) = e.line {
        put_u32(out, line);
    }
    if let Some(arity) = e.arity {
        put_u32(out, arity);
    }
    for list in [&e.platforms, &e.examples] {
        put_u32(out, list.len() as u32);
        for item in list {
            put_str(out, item);
        }
    }
}

pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }
    pub(super) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    pub(super) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    pub(super) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// Reads [`put_header`]'s header; `None` for another kind of file or another format.
    pub(super) fn header(&mut self, magic: &[u8; 8], format: u32) -> Option<()> {
        (self.take(8)? == magic && self.u32()? == format).then_some(())
    }
    pub(super) fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    pub(super) fn str(&mut self) -> Option<&'a str> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).ok()
    }
    pub(super) fn string(&mut self) -> Option<String> {
        self.str().map(str::to_string)
    }
}

pub(super) fn decode_entry_from(r: &mut Reader) -> Option<Entry> {
    let name = r.string()?;
    let kind = kind_of(r.u8()?);
    let mask = r.u16()?;
    let mut field = |bit: u16| -> Option<Option<String>> {
        if mask & (1 << bit) != 0 {
            r.string().map(Some)
        } else {
            Some(None)
        }
    };
    let mut e = Entry {
        name,
        kind,
        pname: field(0)?,
        version: field(1)?,
        description: field(2)?,
        long_description: field(3)?,
        homepage: field(4)?,
        license: field(5)?,
        main_program: field(6)?,
        file: field(7)?,
        type_sig: field(8)?,
        doc: field(9)?,
        canonical: field(10)?,
        ..Entry::default()
    };
    if mask & (1 << 11) != 0 {
        e.line = Some(r.u32()?);
    }
    if mask & (1 << 12) != 0 {
        e.arity = Some(r.u32()?);
    }
    for list in [&mut e.platforms, &mut e.examples] {
        let n = r.u32()? as usize;
        for _ in 0..n {
            list.push(r.string()?);
        }
    }
    Some(e)
}

pub(super) fn decode_entry_at(bytes: &[u8], offset: u32) -> Option<Entry> {
    decode_entry_from(&mut Reader {
        bytes,
        at: offset as usize,
    })
}

pub(super) fn decode_name_at(bytes: &[u8], offset: u32) -> Option<String> {
    Reader {
        bytes,
        at: offset as usize,
    }
    .string()
}
