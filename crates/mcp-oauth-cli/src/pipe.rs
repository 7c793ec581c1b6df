//! The pipeline document's way through the tools: read from stdin, written to stdout, one
//! way only (`mcp-discover | mcp-dcr | mcp-authorize`), and the one-line outputs of
//! `mcp-token` and `mcp-revoke`.

use mcp_oauth::document::Document;
use mcp_oauth::{Error, Result};
use std::io::{IsTerminal, Read, Write};

/// Far above any real document; a larger stdin is not ours.
const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// Reads the document on stdin. A terminal on stdin means the user forgot the URL:
/// waiting for typed JSON would look like a hang.
pub fn read_document() -> Result<Document> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Error::Usage(
            "no MCP server URL given, and stdin is a terminal: give a URL, or pipe in the previous step's output"
                .into(),
        ));
    }
    Document::parse(&read_capped(stdin.lock(), MAX_DOCUMENT_BYTES)?)
}

/// At most `cap` bytes of `source`; one byte past the cap tells a document that is too big
/// from one that just fits.
fn read_capped(source: impl Read, cap: u64) -> Result<String> {
    let mut text = String::new();
    source
        .take(cap + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::InvalidInput(format!("cannot read the document on stdin: {e}")))?;
    if text.len() as u64 > cap {
        return Err(Error::InvalidInput(format!(
            "the document on stdin is over the {} MiB limit: it is not a pipeline document",
            cap / (1024 * 1024)
        )));
    }
    Ok(text)
}

/// Writes the document and a newline. A closed pipe (`| head`) is not an error.
pub fn write_document(doc: &Document, pretty: bool) -> Result<()> {
    write_line(&doc.to_json(pretty))
}

/// Whether stdout is a terminal: output meant for a person (a summary) or for a program
/// (JSON) is chosen by this, as `ls` and `gh` do.
#[allow(clippy::disallowed_methods)] // asks, writes nothing
pub fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal()
}

/// Writes one line to stdout; a reader that went away (`| head -c0`) is not an error.
#[allow(clippy::disallowed_methods)] // the one writer of stdout
pub fn write_line(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("writing to stdout", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_lets_a_document_that_fits_through_and_refuses_one_byte_more() {
        assert_eq!(read_capped("x".repeat(2 * 1024 * 1024).as_bytes(), 2 * 1024 * 1024).unwrap().len(), 2 << 20);
        let e = read_capped("x".repeat(2 * 1024 * 1024 + 1).as_bytes(), 2 * 1024 * 1024).unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        assert!(e.to_string().contains("over the 2 MiB limit"), "{e}");
    }
}
