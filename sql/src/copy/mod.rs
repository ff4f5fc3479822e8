//! `COPY`: the statement ([`statement`]) and the data formats, pure — no I/O and no storage.
//!
//! * [`statement::parse`] reads `COPY t [(cols)] FROM STDIN | TO STDOUT [WITH (...)]` and
//!   `COPY (query) TO STDOUT` into a [`CopyStatement`].
//! * [`Decoder`] turns the bytes of a COPY FROM stream, arriving in chunks of any size, into
//!   rows of raw fields (`None` for NULL) in the text or CSV format, holding at most one
//!   unfinished line (or CSV record) between chunks: memory stays bounded however large the
//!   COPY. Each row comes with its line number, for PostgreSQL's error context
//!   (`COPY t, line 3, column x: "abc"`). The end-of-data marker `\.` ends the stream.
//! * [`binary`] reads a COPY FROM stream in the BINARY format: its fields come as bytes in
//!   their types' receive formats.
//! * [`encode_row`] writes one row of a COPY TO in the text or CSV format.
//!
//! The session (`session/copy.rs`) drives these: it parses fields with each column's input
//! function and inserts the rows as one statement (statement-level rollback on any error).

pub mod binary;
mod csv;
pub mod statement;
mod text;

use crate::{Error, Result};

/// COPY's data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Csv,
    Binary,
}

/// `HEADER`: none, a header line (skipped on input), or (input only) one that must match
/// the column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Header {
    #[default]
    No,
    Yes,
    Match,
}

/// COPY's options as given (`None`: the format's default).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CopyOptions {
    pub format: Format,
    pub freeze: bool,
    pub delimiter: Option<char>,
    pub null: Option<String>,
    pub header: Header,
    pub quote: Option<char>,
    pub escape: Option<char>,
    /// `FORCE_QUOTE`: `Some(None)` is `*` (every column).
    pub force_quote: Option<Option<Vec<String>>>,
    pub force_not_null: Vec<String>,
    pub force_null: Vec<String>,
}

impl CopyOptions {
    pub fn delimiter(&self) -> char {
        self.delimiter.unwrap_or(match self.format {
            Format::Csv => ',',
            _ => '\t',
        })
    }

    pub fn null(&self) -> &str {
        self.null.as_deref().unwrap_or(match self.format {
            Format::Csv => "",
            _ => "\\N",
        })
    }

    pub fn quote(&self) -> char {
        self.quote.unwrap_or('"')
    }

    pub fn escape(&self) -> char {
        self.escape.unwrap_or_else(|| self.quote())
    }

    /// PostgreSQL's checks of option combinations (`from`: COPY FROM).
    pub fn validate(&self, from: bool) -> Result<()> {
        let unsupported = |m: &str| Err(Error::unsupported(m.to_string()));
        let csv = self.format == Format::Csv;
        if self.format == Format::Binary
            && (self.delimiter.is_some() || self.null.is_some() || self.header != Header::No)
        {
            return unsupported("cannot specify DELIMITER, NULL or HEADER in BINARY mode");
        }
        if !csv
            && (self.quote.is_some()
                || self.escape.is_some()
                || self.force_quote.is_some()
                || !self.force_not_null.is_empty()
                || !self.force_null.is_empty())
        {
            return unsupported(
                "COPY QUOTE, ESCAPE and FORCE options are available only in CSV mode",
            );
        }
        if self.format == Format::Text && self.header != Header::No && !from {
            // PostgreSQL 15 allows HEADER in text mode both ways.
        }
        if self.header == Header::Match && !from {
            return unsupported("cannot use \"match\" with HEADER in COPY TO");
        }
        if self.freeze && !from {
            return unsupported("COPY FREEZE cannot be used with COPY TO");
        }
        if self.force_quote.is_some() && from {
            return unsupported("COPY FORCE_QUOTE cannot be used with COPY FROM");
        }
        if (!self.force_not_null.is_empty() || !self.force_null.is_empty()) && !from {
            return unsupported("COPY FORCE_NOT_NULL and FORCE_NULL cannot be used with COPY TO");
        }
        let d = self.delimiter();
        if d == '\r' || d == '\n' {
            return unsupported("COPY delimiter cannot be newline or carriage return");
        }
        if self.format != Format::Binary && self.null().contains(['\r', '\n']) {
            return unsupported("COPY null representation cannot use newline or carriage return");
        }
        if self.format == Format::Text && (d == '\\' || d.is_ascii_alphanumeric() || d == '.') {
            return unsupported(&format!("COPY delimiter cannot be \"{d}\""));
        }
        if csv && d == self.quote() {
            return unsupported("COPY delimiter and quote must be different");
        }
        if csv && self.null().contains(d) {
            return unsupported("COPY delimiter must not appear in the NULL specification");
        }
        if csv && self.null().contains(self.quote()) {
            return unsupported("CSV quote character must not appear in the NULL specification");
        }
        Ok(())
    }
}

/// What a COPY reads from or writes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table (name parts, possibly schema-qualified) and an optional column list.
    Table {
        name: Vec<String>,
        columns: Vec<String>,
    },
    /// `COPY (query) TO`: the query's text.
    Query(String),
}

/// A parsed COPY statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyStatement {
    pub source: Source,
    /// COPY FROM STDIN (else TO STDOUT).
    pub from: bool,
    pub options: CopyOptions,
}

/// One input row: its line number (the first line of a CSV record that spans lines) and
/// its fields (`None`: NULL), each field also flagged as quoted (CSV) for FORCE_NULL /
/// FORCE_NOT_NULL.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub line: u64,
    pub fields: Vec<Field>,
    /// The line as received, for error messages.
    pub text: String,
}

/// One field of an input row.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub value: Option<String>,
    pub quoted: bool,
    /// A BINARY-format field's bytes (`value` is then `None`; both `None`: NULL).
    pub binary: Option<Vec<u8>>,
}

/// The COPY FROM decoder; see the module docs.
#[derive(Debug)]
pub struct Decoder {
    options: CopyOptions,
    /// The relation's name, for error context (`COPY t, line 3: ...`).
    relation: String,
    /// Bytes of the unfinished line (or CSV record).
    pending: Vec<u8>,
    /// Lines consumed so far.
    line: u64,
    /// The end marker `\.` was seen: everything after it is ignored.
    ended: bool,
    /// The header line is still to be skipped.
    skip_header: bool,
    /// The BINARY format's reader (the other fields are then unused).
    binary: Option<binary::Reader>,
}

impl Decoder {
    /// A decoder of rows of `fields` fields (the COPY's columns).
    pub fn new(options: CopyOptions, relation: &str, fields: usize) -> Result<Decoder> {
        let binary = (options.format == Format::Binary).then(|| binary::Reader::new(fields));
        let skip_header = options.header != Header::No;
        Ok(Decoder {
            options,
            relation: relation.to_string(),
            pending: Vec::new(),
            line: 0,
            ended: false,
            skip_header,
            binary,
        })
    }

    /// The COPY's options.
    pub fn options(&self) -> &CopyOptions {
        &self.options
    }

    /// The number of the last line read.
    pub fn line(&self) -> u64 {
        match &self.binary {
            Some(b) => b.line(),
            None => self.line,
        }
    }

    /// Feeds a chunk of the stream; returns the rows it completed.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<RawRow>> {
        if let Some(b) = &mut self.binary {
            return b.feed(data, &self.relation);
        }
        if self.ended {
            return Ok(Vec::new());
        }
        self.pending.extend_from_slice(data);
        // The buffer is taken out while its records are decoded in place (not copied out).
        let mut pending = std::mem::take(&mut self.pending);
        let mut rows = Vec::new();
        let mut start = 0;
        let mut failed = None;
        while let Some(end) = self.record_end(&pending, start) {
            let record = &pending[start..end];
            start = end;
            match self.record(record) {
                Ok(Some(row)) => rows.push(row),
                Ok(None) => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            if self.ended {
                break;
            }
        }
        pending.drain(..start);
        if self.ended {
            pending.clear();
        }
        self.pending = pending;
        match failed {
            Some(e) => Err(e),
            None => Ok(rows),
        }
    }

    /// The end of the stream (CopyDone): the last line may lack its newline.
    pub fn finish(&mut self) -> Result<Vec<RawRow>> {
        if let Some(b) = &mut self.binary {
            return b.finish(&self.relation).map(|()| Vec::new());
        }
        if self.ended || self.pending.is_empty() {
            return Ok(Vec::new());
        }
        let record = std::mem::take(&mut self.pending);
        if self.options.format == Format::Csv && csv::open_quote(&record, &self.options) {
            self.line += 1;
            return Err(
                Error::BadCopyFileFormat("unterminated CSV quoted field".into()).with_context(
                    format!(
                        "COPY {}, line {}: \"{}\"",
                        self.relation,
                        self.line,
                        String::from_utf8_lossy(&record)
                    ),
                ),
            );
        }
        Ok(self.record(&record)?.into_iter().collect())
    }

    /// The end (exclusive, newline included) of the record of `pending` starting at
    /// `start`, if whole.
    fn record_end(&self, pending: &[u8], start: usize) -> Option<usize> {
        let rest = &pending[start..];
        match self.options.format {
            Format::Csv => csv::record_end(rest, &self.options).map(|e| start + e),
            _ => rest.iter().position(|&b| b == b'\n').map(|e| start + e + 1),
        }
    }

    /// Decodes one record (with its line terminator, if any); `None` for a skipped header
    /// or the end marker.
    fn record(&mut self, record: &[u8]) -> Result<Option<RawRow>> {
        let first_line = self.line + 1;
        self.line += 1 + record
            .iter()
            .take(record.len().saturating_sub(1))
            .filter(|&&b| b == b'\n')
            .count() as u64;
        let body = strip_newline(record);
        let text = String::from_utf8(body.to_vec()).map_err(|_| {
            Error::CharacterNotInRepertoire("invalid byte sequence for encoding \"UTF8\"".into())
                .with_context(format!("COPY {}, line {first_line}", self.relation))
        })?;
        if text == "\\." {
            self.ended = true;
            return Ok(None);
        }
        if std::mem::take(&mut self.skip_header) {
            return Ok(None);
        }
        let fields = match self.options.format {
            Format::Csv => csv::fields(&text, &self.options),
            _ => text::fields(&text, &self.options),
        }
        .map_err(|message| {
            Error::BadCopyFileFormat(message).with_context(format!(
                "COPY {}, line {first_line}: \"{text}\"",
                self.relation
            ))
        })?;
        Ok(Some(RawRow {
            line: first_line,
            fields,
            text,
        }))
    }
}

fn strip_newline(record: &[u8]) -> &[u8] {
    let r = record.strip_suffix(b"\n").unwrap_or(record);
    r.strip_suffix(b"\r").unwrap_or(r)
}

/// One row of COPY TO output (with its newline): `None` is NULL, other values are in
/// PostgreSQL's text output. `force_quote[i]` forces quotes on column `i` (CSV).
pub fn encode_row(
    fields: &[Option<String>],
    options: &CopyOptions,
    force_quote: &[bool],
) -> String {
    let mut out = String::new();
    let d = options.delimiter();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(d);
        }
        match options.format {
            Format::Csv => csv::encode_field(
                &mut out,
                f.as_deref(),
                options,
                force_quote.get(i).copied().unwrap_or(false),
            ),
            _ => text::encode_field(&mut out, f.as_deref(), options),
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;
