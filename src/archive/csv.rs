//! CSV as spreadsheets read it (RFC 4180): UTF-8 with a byte-order mark (without it Excel
//! reads Cyrillic as Windows-1251), CRLF line ends, fields quoted when they hold a comma, a
//! quote or a line break. Authors' text is hostile input: a field starting with `=`, `+`, `-`,
//! `@`, a tab or a carriage return would run as a formula when the file is opened, so it is
//! written with a leading `'` (OWASP's advice for CSV injection).

use std::io::Write;

use chrono::SecondsFormat;

use crate::store::archive::Cell;

/// The byte-order mark every export starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Appends one text field.
pub fn push_text(line: &mut String, value: &str) {
    let guarded = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if guarded || value.contains([',', '"', '\n', '\r']) {
        line.push('"');
        if guarded {
            line.push('\'');
        }
        for c in value.chars() {
            if c == '"' {
                line.push('"');
            }
            line.push(c);
        }
        line.push('"');
    } else {
        line.push_str(value);
    }
}

/// Appends one record (with its CRLF): numbers as they are, times in RFC 3339 UTC to the
/// second, empty for NULL.
pub fn push_record(line: &mut String, cells: &[Cell]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        match cell {
            Cell::Int(Some(v)) => line.push_str(&v.to_string()),
            Cell::Time(Some(t)) => line.push_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            Cell::Text(Some(s)) => push_text(line, s),
            Cell::Int(None) | Cell::Time(None) | Cell::Text(None) => {}
        }
    }
    line.push_str("\r\n");
}

/// Writes the BOM and the header line.
pub fn write_header(out: &mut impl Write, columns: &[&str]) -> std::io::Result<()> {
    out.write_all(BOM)?;
    out.write_all(columns.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn record(cells: &[Cell]) -> String {
        let mut line = String::new();
        push_record(&mut line, cells);
        line
    }

    #[test]
    fn fields_are_quoted_only_when_needed_and_formulas_are_defused() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 9, 5, 7).single();
        assert_eq!(
            record(&[Cell::Int(Some(-100)), Cell::Text(Some("Привет".into())), Cell::Time(t), Cell::Int(None)]),
            "-100,Привет,2026-03-01T09:05:07Z,\r\n"
        );
        assert_eq!(record(&[Cell::Text(Some("a, \"b\"\nc".into()))]), "\"a, \"\"b\"\"\nc\"\r\n");
        assert_eq!(record(&[Cell::Text(Some("=HYPERLINK(\"x\")".into()))]), "\"'=HYPERLINK(\"\"x\"\")\"\r\n");
        assert_eq!(record(&[Cell::Text(Some("-1".into())), Cell::Text(None)]), "\"'-1\",\r\n");
    }
}
