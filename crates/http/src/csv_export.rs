//! CSV exports (the audit log, usage records): rows written batch by batch into bytes for a
//! streamed body, with spreadsheet formulas neutralised.

use actix_web::web::Bytes;

use crate::error::ApiError;

/// A spreadsheet reads a cell starting with `=`, `+`, `-`, `@`, tab or CR as a formula (CSV
/// injection): a user's name such as `=HYPERLINK(...)` would run when the admin opens the export.
/// As OWASP recommends, such a cell gets a leading single quote, which makes it plain text. The
/// JSON API keeps the text as it is; only the export changes.
pub fn neutralise_formula(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
}

pub fn csv_bytes(write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> Result<Bytes, actix_web::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let written = write(&mut w).and_then(|()| w.flush().map_err(csv::Error::from));
    match (written, w.into_inner()) {
        (Ok(()), Ok(buf)) => Ok(Bytes::from(buf)),
        _ => {
            Err(ApiError::new(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, "export_failed", "export failed")
                .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise_formula;

    #[test]
    fn formula_triggers_get_a_leading_quote_and_other_text_is_kept() {
        for risky in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(neutralise_formula(risky.to_string()), format!("'{risky}"));
        }
        for plain in ["", "Ada", "a=b", "{\"k\":1}", "null", "2026-01-01T00:00:00Z", " =x"] {
            assert_eq!(neutralise_formula(plain.to_string()), plain);
        }
    }
}
