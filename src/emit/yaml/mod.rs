//! The only module that deals in YAML.
//!
//! Writing uses a small emitter of our own for the subset of YAML that
//! manifests need (maps, sequences, strings, numbers, booleans, null), for
//! one reason above speed: Kubernetes tooling reads YAML 1.1, where `yes`,
//! `on`, `0755` or `1_000` are not strings. serde_yaml writes YAML 1.2 and
//! leaves `yes` unquoted, which `kubectl` then reads back as `true`. This
//! emitter quotes every scalar that either version could read as anything
//! but a string; `tests/integration/yaml_readers.rs` holds it to that
//! against three readers (PyYAML for YAML 1.1, serde-saphyr for 1.2, and
//! kubectl through a real API server). It stays ours until a maintained
//! writer passes that test (serde-saphyr's writer has not been tried
//! against it). Reading is [`read`], with serde-saphyr.

mod lines;
mod read;

pub(crate) use lines::line_paths;

pub use read::{ReadError, parse_stream};

use rayon::prelude::*;
use std::io::Write;

use serde::ser::{self, Serialize};
use serde_json::Value;

use crate::objects::{self, Object};
use crate::resolve::Resolved;

/// One object as a YAML document (without the `---` separator).
pub fn document<T: Serialize>(value: &T) -> anyhow::Result<String> {
    let mut out = String::with_capacity(2048);
    push_document(value, &mut out)?;
    Ok(out)
}

/// Objects as a multi-document stream, each document opened by `---`.
pub fn stream(objects: &[Object]) -> anyhow::Result<String> {
    let mut out = String::with_capacity(objects.len() * 1536);
    for o in objects {
        out.push_str("---\n");
        push_document(o, &mut out)?;
    }
    Ok(out)
}

/// Writes the stream of [`stream`] to `out` one document at a time, so
/// that the whole text never sits in memory (42 MB for 10,000 services).
pub fn write_stream<W: Write>(objects: &[Object], mut out: W) -> anyhow::Result<()> {
    let mut doc = String::with_capacity(4096);
    for o in objects {
        doc.clear();
        doc.push_str("---\n");
        push_document(o, &mut doc)?;
        out.write_all(doc.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// Builds and writes the render of `r`: what [`write_stream`] writes of
/// [`objects::build`], without holding every object at once. The parts of
/// the build are built and serialized on every core and only their text
/// is kept until it is sorted into apply order: a fleet of 10,000 services
/// makes 30,000 objects, about 150 MB as typed structs, 42 MB as text.
pub fn write_built<W: Write>(r: &Resolved, mut out: W) -> anyhow::Result<()> {
    type Key = (usize, &'static str, String, String);
    /// One part's documents: their text end to end, and each one's key
    /// and place in it (one buffer per part, not one per document: a
    /// document's own buffer would hold twice its text on average).
    struct Texts {
        text: String,
        documents: Vec<(Key, std::ops::Range<usize>)>,
    }
    let parts = objects::parts(r);
    let texts = parts
        .par_iter()
        .map(|part| -> anyhow::Result<Texts> {
            let mut objects = Vec::new();
            objects::build_part(r, *part, &mut objects);
            let mut texts = Texts { text: String::with_capacity(objects.len() * 2048), documents: Vec::new() };
            for o in &objects {
                let (rank, _, namespace, name) = o.order_key();
                let start = texts.text.len();
                texts.text.push_str("---\n");
                push_document(o, &mut texts.text)?;
                texts
                    .documents
                    .push(((rank, o.kind(), namespace.to_string(), name.to_string()), start..texts.text.len()));
            }
            texts.text.shrink_to_fit();
            Ok(texts)
        })
        .collect::<Vec<_>>();
    let texts = texts.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let mut documents: Vec<(&Key, &str)> =
        texts.iter().flat_map(|t| t.documents.iter().map(|(key, at)| (key, &t.text[at.clone()]))).collect();
    // a stable sort of the parts in build order: equal keys keep the order
    // `objects::build` gives them
    documents.sort_by(|a, b| a.0.cmp(b.0));
    for (_, text) in &documents {
        out.write_all(text.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// Appends one document. The value is serialized straight into YAML: the
/// emitter is a serde serializer, so no intermediate tree is built. It
/// writes exactly what serializing to a `serde_json::Value` first would
/// give (a map's keys in serialization order, numbers as serde_json
/// prints them, `null` for `None`), which is how the output was defined.
fn push_document<T: Serialize + ?Sized>(value: &T, out: &mut String) -> anyhow::Result<()> {
    value.serialize(Emitter { out, place: Place::Item(0) })?;
    Ok(())
}

const SPACES: &str = "                                                                ";

fn indent(n: usize, out: &mut String) {
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// Where the next node goes.
#[derive(Clone, Copy)]
enum Place {
    /// After `key:` of a key at this indentation: a map goes on the next
    /// lines, two spaces deeper; a sequence on the next lines at the key's
    /// own indentation (kubectl style); a scalar after a space.
    Value(usize),
    /// After `- ` (or at the start of a document, `Item(0)`), where the
    /// node's content sits at this indentation: a map's first key and a
    /// nested sequence's first dash go on the dash's line.
    Item(usize),
}

impl Place {
    /// Writes a scalar here (`write` gets the indentation for literal blocks).
    fn scalar(self, out: &mut String, write: impl FnOnce(&mut String, usize)) {
        match self {
            Place::Value(level) => {
                out.push(' ');
                write(out, level + 2);
            }
            Place::Item(level) => write(out, level),
        }
        out.push('\n');
    }

    /// The indentation of the keys of a map here.
    fn map_level(self) -> usize {
        match self {
            Place::Value(level) => level + 2,
            Place::Item(level) => level,
        }
    }

    /// The indentation of the dashes of a sequence here.
    fn seq_level(self) -> usize {
        match self {
            Place::Value(level) | Place::Item(level) => level,
        }
    }

    /// What goes before the first key of a map here.
    fn open(self, out: &mut String) {
        if let Place::Value(level) = self {
            out.push('\n');
            indent(level + 2, out);
        }
    }
}

type Error = serde_json::Error;

/// The serializer of one node at a [`Place`].
struct Emitter<'a> {
    out: &'a mut String,
    place: Place,
}

impl<'a> Emitter<'a> {
    fn number(self, v: impl Into<Value>) -> Result<(), Error> {
        let v = v.into();
        self.place.scalar(self.out, |out, level| write_scalar(&v, level, out));
        Ok(())
    }

    fn string(self, s: &str) -> Result<(), Error> {
        self.place.scalar(self.out, |out, level| write_string(s, level, false, out));
        Ok(())
    }

    fn plain(self, s: &str) -> Result<(), Error> {
        self.place.scalar(self.out, |out, _| out.push_str(s));
        Ok(())
    }

    fn map(self) -> Compound<'a> {
        Compound {
            level: self.place.map_level(),
            out: self.out,
            place: self.place,
            started: false,
            collection: Collection::Map,
        }
    }

    fn seq(self) -> Compound<'a> {
        Compound {
            level: self.place.seq_level(),
            out: self.out,
            place: self.place,
            started: false,
            collection: Collection::Seq,
        }
    }

    /// `{variant: …}`, the shape serde_json gives enum variants with data:
    /// writes the key and returns where its value goes.
    fn variant(self, variant: &str) -> (&'a mut String, Place) {
        let level = self.place.map_level();
        self.place.open(self.out);
        write_string(variant, level, true, self.out);
        self.out.push(':');
        (self.out, Place::Value(level))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Collection {
    Map,
    Seq,
}

/// A map or sequence being written. Whether it is empty (`{}`, `[]`) is
/// known only at its end, so its opening is written with its first entry.
struct Compound<'a> {
    out: &'a mut String,
    place: Place,
    /// The indentation of its keys or dashes.
    level: usize,
    started: bool,
    collection: Collection,
}

impl Compound<'_> {
    /// The line start of the next key or dash.
    fn next(&mut self) {
        if self.started {
            indent(self.level, self.out);
        } else {
            self.started = true;
            match self.place {
                Place::Value(_) => {
                    self.out.push('\n');
                    indent(self.level, self.out);
                }
                Place::Item(_) => {}
            }
        }
    }

    fn key(&mut self, key: &str) {
        self.next();
        write_string(key, self.level, true, self.out);
        self.out.push(':');
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.next();
        self.out.push_str("- ");
        value.serialize(Emitter { out: self.out, place: Place::Item(self.level + 2) })
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(Emitter { out: self.out, place: Place::Value(self.level) })
    }

    fn end(self) -> Result<(), Error> {
        if !self.started {
            let empty = if self.collection == Collection::Map { "{}" } else { "[]" };
            self.place.scalar(self.out, |out, _| out.push_str(empty));
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for Emitter<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.plain(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.number(serde_json::to_value(v)?)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.number(serde_json::to_value(v)?)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = self.seq();
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.plain("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.plain("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.plain("null")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let (out, place) = self.variant(variant);
        value.serialize(Emitter { out, place })
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        let (out, place) = self.variant(variant);
        Ok(Emitter { out, place }.seq())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.map())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        Ok(self.map())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        let (out, place) = self.variant(variant);
        Ok(Emitter { out, place }.map())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let key = key.serialize(KeyText)?;
        self.key(&key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.value(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.key(key);
        self.value(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.key(key);
        self.value(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

/// A map key as text, as serde_json's value serializer makes it: strings
/// as they are, numbers, booleans and characters as their text; anything
/// else is an error.
struct KeyText;

impl KeyText {
    fn text(v: impl ToString) -> Result<String, Error> {
        Ok(v.to_string())
    }
}

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_i128(self, v: i128) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_u128(self, v: u128) -> Result<String, Error> {
        Self::text(v)
    }
    fn serialize_f32(self, _: f32) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<String, Error> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_error())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_error())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_error())
    }
}

fn key_error() -> Error {
    <Error as ser::Error>::custom("key must be a string")
}

/// A scalar (or an empty map or list) at `level`; strings spanning lines
/// become literal blocks indented to `level`.
pub(crate) fn write_scalar(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, level, false, out),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// Writes a string plain when no YAML 1.1 or 1.2 reader could take it for
/// anything else, as a literal block when it spans lines, and quoted
/// otherwise. `level` is the indentation of the enclosing node.
pub(crate) fn write_string(s: &str, level: usize, is_key: bool, out: &mut String) {
    // most strings of a manifest (names, labels, paths) are ASCII without
    // `:`, `#` or control characters: one scan rules out every case but
    // the checks of the first character and of the whole word
    if !s.bytes().any(|b| !(0x20..0x7f).contains(&b) || b == b':' || b == b'#') {
        if plain_word(s) {
            out.push_str(s);
        } else {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
        return;
    }
    if !is_key && s.contains('\n') && block_safe(s) {
        write_literal(s, level, out);
    } else if is_plain_safe(s) {
        out.push_str(s);
    } else if s.chars().all(|c| !c.is_control() && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')) {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    } else {
        write_double_quoted(s, out);
    }
}

/// `|` block: lines at `level + 2`, with the chomping indicator that keeps
/// the exact trailing newlines.
fn write_literal(s: &str, level: usize, out: &mut String) {
    out.push('|');
    // an indentation indicator when the first line starts with a space
    if s.starts_with(' ') {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    out.push('\n');
    let body = if trailing == 0 { s } else { &s[..s.len() - 1] };
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(level, out);
            out.push_str(line);
        }
        out.push('\n');
    }
    // the caller adds the newline that ends the value: remove ours
    out.pop();
}

/// A literal block can hold the text exactly: no control characters other
/// than tab, no carriage returns, no trailing spaces before a line break
/// that a reader might strip.
fn block_safe(s: &str) -> bool {
    // U+2028 and U+2029 are line breaks to a YAML 1.1 reader; a first
    // line with text that starts with a space or a tab would set the
    // block's indentation (libyaml rejects a tab there, and a space after
    // leading empty lines would be taken as indentation)
    let first = s.split('\n').find(|l| !l.is_empty()).unwrap_or("");
    s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control() && c != '\u{2028}' && c != '\u{2029}')
        && !s.contains('\u{feff}')
        && !first.starts_with([' ', '\t'])
        && !s.split('\n').any(|l| l.ends_with(' ') || l.ends_with('\t'))
        // a block of nothing but line breaks reads back as nothing
        && s.chars().any(|c| c != '\n')
}

fn write_double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // line and paragraph separators are line breaks to YAML 1.1
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether a string can be written without quotes and still read back as
/// the same string by YAML 1.1 and 1.2 readers.
fn is_plain_safe(s: &str) -> bool {
    if s.ends_with(':') || s.contains(": ") || s.contains(" #") || s.contains('\t') {
        return false;
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}') {
        return false;
    }
    plain_word(s)
}

/// The checks of [`is_plain_safe`] that look at the first character and
/// the whole word; the caller has ruled out `: `, ` #`, a final `:`, tabs
/// and control characters.
fn plain_word(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    // a document marker where a key starts a line (`---: …` at column 0)
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    // most words of a manifest: no indicator, number or timestamp starts
    // with a letter, so only the reserved words remain to rule out
    if first.is_ascii_alphabetic() {
        return !is_reserved_word(s);
    }
    // indicators that start something other than a plain scalar
    // `--flag` and `-m` are plain; `-`, `- x` and `-1` are not
    let dash_word = first == '-' && s.len() > 1 && !s.starts_with("- ") && !looks_numeric(s);
    if matches!(
        first,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) && !dash_word
    {
        return false;
    }
    !(is_reserved_word(s) || looks_numeric(s) || looks_like_timestamp(s))
}

/// Booleans and nulls of YAML 1.1 and 1.2, `=` (the 1.1 value key) and
/// `<<` (the 1.1 merge key, which a reader would merge rather than read).
fn is_reserved_word(s: &str) -> bool {
    matches!(
        s,
        "<<" | "y"
            | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "null"
            | "Null"
            | "NULL"
            | "~"
            | "="
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | ".nan"
            | ".NaN"
            | ".NAN"
    )
}

/// Anything a YAML 1.1 reader might parse as a number: decimal, octal,
/// hexadecimal, binary, with `_` separators, floats with exponents, and
/// base-60 (`1:30`).
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    // Go's YAML reader (kubectl) takes `0X1F` and `0B1` too
    if let Some(rest) = ["0x", "0o", "0b", "0X", "0O", "0B"].iter().find_map(|p| body.strip_prefix(p)) {
        return !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    // base 60: digits and colons
    if body.contains(':') {
        return body.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '.' || c == '_')
            && body.starts_with(|c: char| c.is_ascii_digit());
    }
    let mut digits = 0;
    let mut dots = 0;
    let mut chars = body.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '0'..='9' => digits += 1,
            '_' => {}
            '.' => dots += 1,
            _ => break,
        }
        chars.next();
    }
    if digits == 0 || dots > 1 {
        return false;
    }
    match chars.next() {
        None => true,
        Some('e' | 'E') => {
            let rest: String = chars.collect();
            let rest = rest.strip_prefix(['+', '-']).unwrap_or(&rest);
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// `2001-12-14` and friends: YAML 1.1 timestamps.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5].is_ascii_digit()
        && (b[6] == b'-' || b[6].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: &Value) -> Value {
        let text = document(v).unwrap();
        let back: Value = parse_stream(&text).unwrap_or_else(|e| panic!("{e}\n{text}")).swap_remove(0);
        assert_eq!(&back, v, "round trip of\n{text}");
        back
    }

    #[test]
    fn ambiguous_scalars_are_quoted() {
        for s in [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "N",
            "true",
            "null",
            "~",
            "",
            " x",
            "x ",
            "1",
            "0755",
            "0x1F",
            "1_000",
            "1.5",
            "1e3",
            "-1",
            ".5",
            "+1",
            ".inf",
            "1:30",
            "2001-12-14",
            "- x",
            "-",
            "a: b",
            "a #b",
            "#x",
            "*x",
            "&x",
            "!x",
            "|",
            ">",
            "'",
            "\"",
            "%x",
            "@x",
            "`x",
            "{x}",
            "[x]",
            "x:",
            "?",
            "tab\there",
            "=",
        ] {
            let mut out = String::new();
            write_string(s, 0, false, &mut out);
            assert!(out.starts_with('\'') || out.starts_with('"'), "{s:?} written as {out}");
            round_trip(&json!({ "k": s }));
        }
    }

    #[test]
    fn ordinary_scalars_stay_plain() {
        for s in [
            "rag-api",
            "archivist/rag-api:1.4.2",
            "/health",
            "bolt://neo4j.svc:7687",
            "-m",
            "--rebuild",
            "500m",
            "2Gi",
            "app.kubernetes.io/name",
            "0 2 * * *",
            "v1.7.4",
            "5.13-community",
            "512mb",
            "1.0.0",
            "yesterday",
            "Nope",
            "nullable",
            "e5",
            "Infinity",
            "nan",
            "x-1:2",
        ] {
            let mut out = String::new();
            write_string(s, 0, false, &mut out);
            assert_eq!(out, s);
            round_trip(&json!({ "k": s }));
        }
    }

    #[test]
    fn multi_line_strings_are_literal_blocks_that_round_trip() {
        for s in ["a\nb\n", "a\nb", "a\n\n", "  indented\nb\n", "a\n\nb\n", "x\n  y\n"] {
            let v = json!({ "data": { "f": s } });
            round_trip(&v);
        }
        let text = document(&json!({"data": {"config.yaml": "a: 1\nb: 2\n"}})).unwrap();
        assert_eq!(text, "data:\n  config.yaml: |\n    a: 1\n    b: 2\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        round_trip(&json!({ "k": "bell\u{7}", "c": "cr\r\nlf" }));
    }

    #[test]
    fn nested_structures_use_kubectl_layout() {
        let v = json!({
            "spec": {
                "containers": [{"name": "a", "args": ["x", "yes"], "ports": [{"containerPort": 80}]}],
                "empty": {}, "none": [], "n": null, "b": false, "f": 0.5,
                "matrix": [[1, 2], [3]]
            }
        });
        let text = document(&v).unwrap();
        assert!(text.contains("  containers:\n  - name: a\n    args:\n    - x\n    - 'yes'\n"), "{text}");
        round_trip(&v);
    }
}
