//! A tiny blocking HTTP/1.0 client over [`std::net::TcpStream`], enough for CometBFT's RPC on
//! loopback: HTTP/1.0 makes Go's server answer without chunked encoding and close the
//! connection, so a response is everything read until the end of the stream. Chunked bodies
//! and `Content-Length` are handled all the same.

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Responses larger than this are refused (light blocks of 512 validators are ~300 KB).
pub const MAX_RESPONSE: usize = 64 << 20;

/// An HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers as sent (names as written).
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why an HTTP exchange failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is not `http://HOST:PORT[/path]`.
    BadUrl {
        /// The URL.
        url: String,
    },
    /// Connecting, writing or reading failed (timeouts included).
    Io {
        /// What was being done.
        action: &'static str,
        /// The OS error.
        error: std::io::Error,
    },
    /// The whole exchange took longer than the timeout.
    TimedOut {
        /// The timeout.
        timeout: Duration,
    },
    /// The response is larger than [`MAX_RESPONSE`].
    TooLarge,
    /// The response is not HTTP.
    Malformed {
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::BadUrl { url } => {
                write!(f, "{url:?} is not an http://HOST:PORT URL")
            }
            HttpError::Io { action, error } => write!(f, "{action}: {error}"),
            HttpError::TimedOut { timeout } => {
                write!(f, "no complete response within {timeout:?}")
            }
            HttpError::TooLarge => write!(f, "response larger than {MAX_RESPONSE} bytes"),
            HttpError::Malformed { reason } => write!(f, "malformed HTTP response: {reason}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// A parsed `http://HOST:PORT[/prefix]` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// `HOST:PORT` as written (the `Host` header).
    pub authority: String,
    /// The resolved address.
    pub addr: SocketAddr,
    /// The path prefix, without a trailing `/` (often empty).
    pub prefix: String,
}

impl Url {
    /// Parses and resolves `http://HOST:PORT[/prefix]` (also `tcp://`, as CometBFT writes its
    /// listen addresses).
    pub fn parse(url: &str) -> Result<Url, HttpError> {
        let bad = || HttpError::BadUrl {
            url: url.to_string(),
        };
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(bad)?;
        let (authority, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let addr = authority
            .to_socket_addrs()
            .map_err(|_| bad())?
            .next()
            .ok_or_else(bad)?;
        Ok(Url {
            authority: authority.to_string(),
            addr,
            prefix: prefix.to_string(),
        })
    }
}

/// `GET path` (path and query, starting with `/`).
pub fn get(url: &Url, path: &str, timeout: Duration) -> Result<Response, HttpError> {
    exchange(url, "GET", path, None, timeout)
}

/// `POST path` with a body of `content_type`.
pub fn post(
    url: &Url,
    path: &str,
    content_type: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<Response, HttpError> {
    exchange(url, "POST", path, Some((content_type, body)), timeout)
}

fn exchange(
    url: &Url,
    method: &str,
    path: &str,
    body: Option<(&str, &[u8])>,
    timeout: Duration,
) -> Result<Response, HttpError> {
    let deadline = Instant::now() + timeout;
    let io = |action: &'static str| move |error| HttpError::Io { action, error };
    let mut stream = TcpStream::connect_timeout(&url.addr, timeout).map_err(io("connecting"))?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(io("setting the write timeout"))?;
    let mut request = format!(
        "{method} {}{path} HTTP/1.0\r\nHost: {}\r\nAccept: application/json\r\n",
        url.prefix, url.authority
    )
    .into_bytes();
    if let Some((content_type, body)) = body {
        request.extend_from_slice(
            format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            )
            .as_bytes(),
        );
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(body);
    } else {
        request.extend_from_slice(b"\r\n");
    }
    stream
        .write_all(&request)
        .map_err(io("sending the request"))?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::TimedOut { timeout });
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(io("setting the read timeout"))?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&buf[..n]);
                if raw.len() > MAX_RESPONSE {
                    return Err(HttpError::TooLarge);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HttpError::TimedOut { timeout })
            }
            Err(e) => return Err(io("reading the response")(e)),
        }
    }
    parse_response(&raw)
}

/// Parses a complete HTTP/1.x response (the bytes up to the end of the stream).
pub fn parse_response(raw: &[u8]) -> Result<Response, HttpError> {
    let malformed = |reason: &str| HttpError::Malformed {
        reason: reason.to_string(),
    };
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| malformed("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| malformed("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(malformed(&format!("status line {status_line:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| malformed(&format!("status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let body = &raw[end + 4..];
    response.body = if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(body).ok_or_else(|| malformed("bad chunked body"))?
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| malformed(&format!("Content-Length {len:?}")))?;
        body.get(..len)
            .ok_or_else(|| malformed("body shorter than its Content-Length"))?
            .to_vec()
    } else {
        body.to_vec()
    };
    Ok(response)
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..eol]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        body = &body[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_sized_and_chunked() {
        let r = parse_response(b"HTTP/1.0 200 OK\r\nContent-Type: x\r\n\r\n{\"a\":1}").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{\"a\":1}"[..]));
        assert_eq!(r.header("content-type"), Some("x"));
        let r = parse_response(b"HTTP/1.1 500 Err\r\nContent-Length: 2\r\n\r\nabc").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (500, &b"ab"[..]));
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"abcde");
    }

    #[test]
    fn refuses_garbage() {
        assert!(parse_response(b"").is_err());
        assert!(parse_response(b"SSH-2.0\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.0 abc\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.0 200\r\nContent-Length: 9\r\n\r\nab").is_err());
        assert!(
            parse_response(b"HTTP/1.0 200\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
    }

    #[test]
    fn urls() {
        let u = Url::parse("http://127.0.0.1:26657").unwrap();
        assert_eq!((u.addr.port(), u.prefix.as_str()), (26657, ""));
        let u = Url::parse("tcp://127.0.0.1:5/rpc/").unwrap();
        assert_eq!(u.prefix, "/rpc");
        assert!(Url::parse("https://127.0.0.1:1").is_err());
        assert!(Url::parse("http://127.0.0.1").is_err());
    }

    #[test]
    fn get_against_a_local_server() {
        use std::net::TcpListener;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut req = [0u8; 1024];
            let n = s.read(&mut req).unwrap();
            let req = String::from_utf8_lossy(&req[..n]).to_string();
            s.write_all(b"HTTP/1.0 200 OK\r\n\r\nhello").unwrap();
            req
        });
        let url = Url::parse(&format!("http://{addr}")).unwrap();
        let r = get(&url, "/status?x=%22y%22", Duration::from_secs(5)).unwrap();
        assert_eq!(r.body, b"hello");
        let req = server.join().unwrap();
        assert!(
            req.starts_with("GET /status?x=%22y%22 HTTP/1.0\r\n"),
            "{req}"
        );
        // A server that never answers: the timeout, not a hang.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let e = get(&url, "/", Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, HttpError::TimedOut { .. }), "{e}");
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(
            percent_encode("\"store/bank/key\""),
            "%22store%2Fbank%2Fkey%22"
        );
        assert_eq!(percent_encode("0xAB-_.~"), "0xAB-_.~");
    }
}
