//! Reading an import file: CSV (comma, semicolon, tab or bar, found from the first lines) or
//! JSON Lines, in UTF-8 with or without a byte-order mark, UTF-16 with one, or Windows-1252
//! (decided cell by cell: a cell that is not UTF-8 is read as Windows-1252). Rows stream: memory
//! holds one row at a time, whatever the size of the file.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

/// How much of the file is looked at to find its delimiter and its JSON Lines columns.
const SAMPLE_BYTES: usize = 64 * 1024;
/// Lines of a CSV sample compared to find its delimiter.
const SAMPLE_RECORDS: usize = 50;

/// Where the rows come from: a file, or the text itself (a host that holds the file in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file on the machine running crm.
    Path(PathBuf),
    /// The file's content itself.
    Text(String),
}

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-, semicolon-, tab- or bar-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// What was found out about a file before its rows are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// CSV or JSON Lines.
    pub format: Format,
    /// The CSV delimiter (`,` `;` `\t` `|`); absent for JSON Lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<char>,
    /// `utf-8`, `utf-8-bom`, `utf-16le` or `utf-16be`; cells that are not UTF-8 are read as
    /// Windows-1252 whatever this says.
    pub encoding: &'static str,
    /// The columns, in the order of the header (or of the first object).
    pub columns: Vec<String>,
}

/// One row: its number (the first row under the header is 1), the line of the file it starts
/// on, and its values in column order, or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceRow {
    pub row: u64,
    pub line: u64,
    pub values: std::result::Result<Vec<String>, String>,
}

/// An open file: its layout and its rows.
pub(crate) struct Table {
    pub layout: Layout,
    rows: Rows,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

enum Rows {
    Csv {
        reader: csv::Reader<Box<dyn Read>>,
        record: csv::ByteRecord,
        row: u64,
    },
    Jsonl {
        lines: Box<dyn BufRead>,
        line: u64,
        row: u64,
        bytes: u64,
    },
}

/// Opens `input`, checks it is a text file with a header and at least one row, and reads its
/// layout. `format` overrides what the name and the first bytes say.
pub(crate) fn open(input: &Input, format: Option<Format>) -> Result<Table> {
    let (reader, name): (Box<dyn Read>, Option<&Path>) = match input {
        Input::Path(path) => (Box::new(open_file(path)?), Some(path)),
        Input::Text(text) => (Box::new(Cursor::new(text.clone().into_bytes())), None),
    };
    let field = if name.is_some() { "path" } else { "csv" };
    let (encoding, mut reader) = decoder(reader, field)?;
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    (&mut reader)
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(|e| Error::invalid(field, format!("cannot be read: {e}")))?;
    if sample.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(field, "the file is empty"));
    }
    if sample.contains(&0) {
        return Err(Error::invalid(
            field,
            "not a text file (it holds NUL bytes); save it as CSV or JSON Lines",
        ));
    }
    let format = format.unwrap_or_else(|| guess_format(name, &sample));
    let whole: Box<dyn Read> = Box::new(Cursor::new(sample.clone()).chain(reader));
    match format {
        Format::Csv => {
            let delimiter = delimiter(&sample);
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .has_headers(false)
                .from_reader(whole);
            let mut header = csv::ByteRecord::new();
            if !reader
                .read_byte_record(&mut header)
                .map_err(|e| Error::invalid(field, format!("the header cannot be read: {e}")))?
            {
                return Err(Error::invalid(field, "the file is empty"));
            }
            let columns = header_names(header.iter().map(cell), field)?;
            Ok(Table {
                layout: Layout {
                    format,
                    delimiter: Some(char::from(delimiter)),
                    encoding,
                    columns,
                },
                rows: Rows::Csv {
                    reader,
                    record: csv::ByteRecord::new(),
                    row: 0,
                },
            })
        }
        Format::Jsonl => {
            let columns = jsonl_columns(&sample, field)?;
            Ok(Table {
                layout: Layout {
                    format,
                    delimiter: None,
                    encoding,
                    columns,
                },
                rows: Rows::Jsonl {
                    lines: Box::new(BufReader::new(whole)),
                    line: 0,
                    row: 0,
                    bytes: 0,
                },
            })
        }
    }
}

fn open_file(path: &Path) -> Result<File> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::invalid("path", format!("{} cannot be opened: {e}", path.display())))?;
    if meta.is_dir() {
        return Err(Error::invalid(
            "path",
            format!("{} is a folder, not a file", path.display()),
        ));
    }
    File::open(path)
        .map_err(|e| Error::invalid("path", format!("{} cannot be opened: {e}", path.display())))
}

/// Strips a UTF-8 byte-order mark and turns UTF-16 (which always has one) into UTF-8; anything
/// else passes through as bytes.
fn decoder(reader: Box<dyn Read>, field: &str) -> Result<(&'static str, Box<dyn Read>)> {
    let mut reader = BufReader::new(reader);
    let head = reader
        .fill_buf()
        .map_err(|e| Error::invalid(field, format!("cannot be read: {e}")))?;
    let encoding = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        "utf-8-bom"
    } else if head.starts_with(&[0xFF, 0xFE]) {
        "utf-16le"
    } else if head.starts_with(&[0xFE, 0xFF]) {
        "utf-16be"
    } else {
        "utf-8"
    };
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .bom_sniffing(true)
        .strip_bom(true)
        .build(reader);
    Ok((encoding, Box::new(decoded)))
}

fn guess_format(name: Option<&Path>, sample: &[u8]) -> Format {
    let extension = name
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("jsonl" | "ndjson") => Format::Jsonl,
        Some("csv" | "tsv" | "txt") => Format::Csv,
        _ if sample.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => Format::Jsonl,
        _ => Format::Csv,
    }
}

/// The delimiter whose first records agree on their number of fields, preferring more fields;
/// a comma when none splits the header.
fn delimiter(sample: &[u8]) -> u8 {
    // The sample may end inside a record: leave its last line out unless it is the whole file.
    let cut = match sample.iter().rposition(|b| *b == b'\n') {
        Some(end) if end + 1 < sample.len() => &sample[..=end],
        _ => sample,
    };
    let mut best = (b',', 0usize, false);
    for candidate in [b',', b';', b'\t', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(candidate)
            .flexible(true)
            .has_headers(false)
            .from_reader(cut);
        let mut counts = Vec::new();
        let mut record = csv::ByteRecord::new();
        while counts.len() < SAMPLE_RECORDS {
            match reader.read_byte_record(&mut record) {
                Ok(true) => counts.push(record.len()),
                Ok(false) | Err(_) => break,
            }
        }
        let Some(&fields) = counts.first() else {
            continue;
        };
        let consistent = counts.iter().all(|c| *c == fields);
        if fields > 1 && (consistent, fields) > (best.2, best.1) {
            best = (candidate, fields, consistent);
        }
    }
    best.0
}

/// A cell as text: UTF-8 when it is, Windows-1252 otherwise (every byte is a character there).
fn cell(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

fn header_names(names: impl Iterator<Item = String>, field: &str) -> Result<Vec<String>> {
    let mut columns: Vec<String> = Vec::new();
    for (i, name) in names.enumerate() {
        let name = name.trim().to_owned();
        if name.is_empty() {
            return Err(Error::invalid(
                field,
                format!("column {} of the header has no name", i + 1),
            ));
        }
        if columns.iter().any(|c| c.eq_ignore_ascii_case(&name)) {
            return Err(Error::invalid(
                field,
                format!("the header names column {name:?} twice"),
            ));
        }
        columns.push(name);
    }
    Ok(columns)
}

/// The keys of the sample's objects, in the order they first appear.
fn jsonl_columns(sample: &[u8], field: &str) -> Result<Vec<String>> {
    let mut columns: Vec<String> = Vec::new();
    let text = String::from_utf8_lossy(sample);
    let mut lines = text.lines().peekable();
    let mut line_no = 0;
    while let Some(line) = lines.next() {
        line_no += 1;
        let last = lines.peek().is_none();
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(object) => {
                for key in object.keys() {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                    }
                }
            }
            // The sample may end inside the last line.
            Err(_) if last && sample.len() == SAMPLE_BYTES => {}
            Err(e) if columns.is_empty() => {
                return Err(Error::invalid(
                    field,
                    format!("line {line_no} is not a JSON object: {e}"),
                ));
            }
            Err(_) => {}
        }
    }
    if columns.is_empty() {
        return Err(Error::invalid(field, "the file has no keys to import"));
    }
    Ok(columns)
}

impl Table {
    /// How far into the file (in bytes, as read after decoding) the rows have been read.
    pub(crate) fn position(&self) -> u64 {
        match &self.rows {
            Rows::Csv { reader, .. } => reader.position().byte(),
            Rows::Jsonl { bytes, .. } => *bytes,
        }
    }

    /// The next row, or `None` at the end of the file. A row that cannot be read is a row with
    /// an error; a file that cannot be read any further is an `Err`.
    pub(crate) fn next_row(&mut self) -> Result<Option<SourceRow>> {
        let columns = self.layout.columns.len();
        match &mut self.rows {
            Rows::Csv {
                reader,
                record,
                row,
            } => loop {
                let line = reader.position().line();
                match reader.read_byte_record(record) {
                    Ok(false) => return Ok(None),
                    Ok(true) => {}
                    Err(e) => {
                        return Err(Error::invalid(
                            "path",
                            format!("the file cannot be read from line {line}: {e}"),
                        ));
                    }
                }
                // A blank line is no row.
                if record.len() == 1 && record[0].is_empty() {
                    continue;
                }
                *row += 1;
                let values = if record.len() == columns {
                    Ok(record.iter().map(cell).collect())
                } else {
                    Err(ragged(record, columns))
                };
                return Ok(Some(SourceRow {
                    row: *row,
                    line,
                    values,
                }));
            },
            Rows::Jsonl {
                lines,
                line,
                row,
                bytes,
            } => loop {
                let mut text = Vec::new();
                let read = lines
                    .read_until(b'\n', &mut text)
                    .map_err(|e| Error::invalid("path", format!("cannot be read: {e}")))?;
                if read == 0 {
                    return Ok(None);
                }
                *line += 1;
                *bytes += read as u64;
                let text = cell(&text);
                if text.trim().is_empty() {
                    continue;
                }
                *row += 1;
                return Ok(Some(SourceRow {
                    row: *row,
                    line: *line,
                    values: json_values(&text, &self.layout.columns),
                }));
            },
        }
    }
}

fn ragged(record: &csv::ByteRecord, columns: usize) -> String {
    let got = record.len();
    let mut message = format!("the row has {got} values, the header {columns}");
    if got < columns
        && record
            .iter()
            .next_back()
            .is_some_and(|v| v.contains(&b'\n'))
    {
        message.push_str(" (a quote opened in it may never close)");
    }
    message
}

fn json_values(line: &str, columns: &[String]) -> std::result::Result<Vec<String>, String> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    if let Some(key) = object.keys().find(|k| !columns.contains(k)) {
        return Err(format!(
            "key {key:?} is not among the columns read from the file's first lines"
        ));
    }
    Ok(columns
        .iter()
        .map(|c| match object.get(c) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(";"),
            Some(other) => other.to_string(),
        })
        .collect())
}

/// A fingerprint of everything in `input`: the same file gives the same value on every build.
pub(crate) fn fingerprint(input: &Input, salt: &str) -> Result<u128> {
    use std::hash::Hasher;
    let mut hasher = siphasher::sip128::SipHasher13::new();
    hasher.write(salt.as_bytes());
    match input {
        Input::Text(text) => hasher.write(text.as_bytes()),
        Input::Path(path) => {
            let mut file = open_file(path)?;
            let mut buffer = vec![0; 1 << 16];
            loop {
                let n = file
                    .read(&mut buffer)
                    .map_err(|e| Error::invalid("path", format!("cannot be read: {e}")))?;
                if n == 0 {
                    break;
                }
                hasher.write(&buffer[..n]);
            }
        }
    }
    Ok(siphasher::sip128::Hasher128::finish128(&hasher).as_u128())
}
