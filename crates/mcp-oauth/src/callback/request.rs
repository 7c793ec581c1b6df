//! The little HTTP/1.x the callback listener needs: read one request head, bounded in
//! size and time, take the method, target and `Host` from it, and write a short answer.
//!
//! Any local process or web page can connect to the listener, so nothing it sends may
//! cost more than [`MAX_HEAD`] bytes of memory or [`READ_TIME`] of a thread: a longer head
//! is answered 431 and the connection dropped.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

/// A browser's callback request is a few hundred bytes of request line and a couple of KiB
/// of headers; 16 KiB leaves room for a long `code` and unusual browsers.
pub const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its head.
pub const READ_TIME: Duration = Duration::from_secs(10);

/// The parts of a request head the listener decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    pub target: String,
    pub host: Option<String>,
}

/// Why no head could be had; the status to answer with, if any is worth sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Over [`MAX_HEAD`]: 431.
    TooLarge,
    /// Not an HTTP/1.x request head: 400.
    Malformed(&'static str),
    /// Closed, timed out or failed before a whole head came: nothing to answer.
    Gone,
}

impl Refused {
    pub fn status(&self) -> Option<u16> {
        match self {
            Refused::TooLarge => Some(431),
            Refused::Malformed(_) => Some(400),
            Refused::Gone => None,
        }
    }
}

/// Reads up to the blank line that ends the head, never more than [`MAX_HEAD`] bytes.
/// `set_deadline` is told the time left before each read (a socket's read timeout), so a
/// client trickling a byte at a time is cut off at [`READ_TIME`] all the same.
pub fn read_head<R: Read>(
    reader: &mut R,
    mut set_deadline: impl FnMut(&mut R, Duration) -> std::io::Result<()>,
) -> Result<Vec<u8>, Refused> {
    let deadline = Instant::now() + READ_TIME;
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || set_deadline(reader, left).is_err() {
            return Err(Refused::Gone);
        }
        let n = match reader.read(&mut chunk) {
            Ok(0) => {
                return Err(if buf.is_empty() { Refused::Gone } else { Refused::Malformed("incomplete request head") });
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Err(Refused::Gone),
        };
        // Only the new bytes (and three before them) can complete the terminator.
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = head_end(&buf[from..]).map(|e| from + e) {
            if end > MAX_HEAD {
                return Err(Refused::TooLarge);
            }
            buf.truncate(end);
            return Ok(buf);
        }
        if buf.len() > MAX_HEAD {
            return Err(Refused::TooLarge);
        }
    }
}

/// Where the head ends (after `\r\n\r\n`, or a bare `\n\n`), if it does in `buf`.
fn head_end(buf: &[u8]) -> Option<usize> {
    (0..buf.len()).find_map(|i| {
        if buf[i..].starts_with(b"\r\n\r\n") {
            Some(i + 4)
        } else if buf[i..].starts_with(b"\n\n") {
            Some(i + 2)
        } else {
            None
        }
    })
}

/// Parses a request head (RFC 9112 §2-3, strictly: a browser sends nothing else).
pub fn parse_head(bytes: &[u8]) -> Result<Head, Refused> {
    if bytes.len() > MAX_HEAD {
        return Err(Refused::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Refused::Malformed("not UTF-8"))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::Malformed("not a request line"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Refused::Malformed("not a method"));
    }
    if target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Refused::Malformed("not a request target"));
    }
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(Refused::Malformed("not HTTP/1.x"));
    }
    let mut host = None;
    for line in lines.take_while(|l| !l.is_empty()) {
        // RFC 9112 §2.2: a bare CR, or any control but HTAB, has no place in a header.
        if line.bytes().any(|b| (b.is_ascii_control() && b != b'\t') || b == 0x7f) {
            return Err(Refused::Malformed("a control character in a header"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(Refused::Malformed("a header line without a colon"));
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Refused::Malformed("a malformed header name"));
        }
        if name.eq_ignore_ascii_case("host") {
            // RFC 9112 §3.2: more than one Host is answered 400.
            if host.replace(value.trim().to_string()).is_some() {
                return Err(Refused::Malformed("more than one Host header"));
            }
        }
    }
    Ok(Head { method: method.to_string(), target: target.to_string(), host })
}

/// Writes a complete answer and nothing more: the connection is closed after it.
pub fn respond<W: Write>(out: &mut W, status: u16, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (n, v) in headers {
        head += &format!("{n}: {v}\r\n");
    }
    head += &format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Head, Refused> {
        parse_head(s.as_bytes())
    }

    #[test]
    fn parses_what_browsers_send() {
        let h = parse("GET /cb?code=a&state=b HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUser-Agent: x\r\n\r\n").unwrap();
        assert_eq!(
            h,
            Head { method: "GET".into(), target: "/cb?code=a&state=b".into(), host: Some("127.0.0.1:5000".into()) }
        );
        assert_eq!(parse("GET / HTTP/1.0\n\n").unwrap().host, None);
    }

    #[test]
    fn refuses_what_browsers_do_not_send() {
        for bad in [
            "\x00\x01 nonsense\r\n\r\n",
            "GET /a b HTTP/1.1\r\n\r\n",
            "GET /cb HTTP/2\r\n\r\n",
            "get /cb HTTP/1.1\r\n\r\n",
            "GET /cb\x1b[2J HTTP/1.1\r\n\r\n",
            "GET /cb HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET /cb HTTP/1.1\r\nno colon\r\n\r\n",
            // Found by scripts/fuzz: a bare CR inside a header value.
            "GET /cb HTTP/1.1\r\nHost: 1: x\r////\nAccept: y\r\n\r\n",
            "GET /cb HTTP/1.1\r\nHost: a\x1b]0;x\x07\r\n\r\n",
        ] {
            assert!(matches!(parse(bad), Err(Refused::Malformed(_))), "{bad:?}");
        }
    }

    #[test]
    fn a_head_is_read_up_to_its_end_and_no_further_than_the_cap() {
        let mut ok = std::io::Cursor::new(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody".to_vec());
        assert_eq!(read_head(&mut ok, |_, _| Ok(())).unwrap(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut huge = std::io::Cursor::new(vec![b'A'; 10 * MAX_HEAD]);
        assert_eq!(read_head(&mut huge, |_, _| Ok(())), Err(Refused::TooLarge));
        assert!(huge.position() <= (MAX_HEAD + 4096) as u64, "stopped reading at the cap: {}", huge.position());
        let mut cut = std::io::Cursor::new(b"GET / HTTP/1.1\r\n".to_vec());
        assert!(matches!(read_head(&mut cut, |_, _| Ok(())), Err(Refused::Malformed(_))));
        assert_eq!(read_head(&mut std::io::Cursor::new(Vec::new()), |_, _| Ok(())), Err(Refused::Gone));
    }
}
