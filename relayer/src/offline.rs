//! Offline verification: decode light-block files and print the verifier's verdict.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use ferry_verifier::{LightBlock, Options, Time, TrustedState, Verdict, Zebra};

/// The embedded example: the 4-validator segment `ferry-fixtures gen` writes (h1 and h5).
pub const EXAMPLE_TRUSTED: &str = include_str!("../../fixtures/data/nostd-4/light_block_1.json");
/// See [`EXAMPLE_TRUSTED`].
pub const EXAMPLE_UNTRUSTED: &str = include_str!("../../fixtures/data/nostd-4/light_block_5.json");
/// A `now` at which the example verifies.
pub const EXAMPLE_NOW: &str = "2025-01-01T00:01:00Z";

/// Why input could not be used (exit codes follow sysexits).
#[derive(Debug)]
pub enum InputError {
    /// A file could not be read (exit 66).
    Unreadable {
        /// The path.
        path: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// A file is not a light block (exit 65).
    Malformed {
        /// Where it came from.
        source: String,
        /// The field path and problem.
        error: String,
    },
    /// A file that must hold text is not valid UTF-8 (exit 65): it was read, and it is
    /// malformed.
    NotUtf8 {
        /// Where it came from.
        source: String,
        /// What the file should hold (e.g. "a light block (JSON)").
        expected: &'static str,
        /// Byte offset of the first invalid byte ([`std::str::Utf8Error::valid_up_to`]).
        offset: usize,
        /// That byte.
        byte: u8,
        /// The line it is on, from 1.
        line: usize,
        /// For files that may also be binary: why the bytes are not that either.
        not_binary: Option<String>,
    },
    /// An option value is not valid (exit 64).
    BadOption {
        /// The option.
        option: &'static str,
        /// The problem.
        error: String,
    },
}

impl InputError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            InputError::Unreadable { .. } => 66,
            InputError::Malformed { .. } | InputError::NotUtf8 { .. } => 65,
            InputError::BadOption { .. } => 64,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Unreadable { path, error } => write!(f, "cannot read {path}: {error}"),
            InputError::Malformed { source, error } => write!(f, "{source}: {error}"),
            InputError::NotUtf8 {
                source,
                expected,
                offset,
                byte,
                line,
                not_binary,
            } => {
                write!(
                    f,
                    "{source}: not valid UTF-8: invalid byte 0x{byte:02X} at byte offset \
                     {offset} (line {line}); expected UTF-8 text ({expected})"
                )?;
                match not_binary {
                    Some(e) => write!(f, ", and the bytes are not valid binary either ({e})"),
                    None => Ok(()),
                }
            }
            InputError::BadOption { option, error } => write!(f, "{option}: {error}"),
        }
    }
}

impl std::error::Error for InputError {}

/// Decodes a light block from JSON text: `{signed_header, validator_set, next_validator_set}`,
/// optionally inside a JSON-RPC envelope's `result`. Errors name the failing field's path.
pub fn parse_light_block(text: &str, source: &str) -> Result<Box<LightBlock>, InputError> {
    let malformed = |error: String| InputError::Malformed {
        source: source.to_string(),
        error: format!("not a CometBFT light block: {error}"),
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
    let value = match value.get("result") {
        Some(r) if value.get("signed_header").is_none() => r.clone(),
        _ => value,
    };
    let lb: LightBlock = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        malformed(format!("at {path}: {}", e.inner()))
    })?;
    Ok(Box::new(lb))
}

/// The bytes of a file as UTF-8 text, or [`InputError::NotUtf8`] naming the offset of the
/// first invalid byte. `expected` says what the file should hold.
pub fn utf8_text<'a>(
    bytes: &'a [u8],
    source: &str,
    expected: &'static str,
) -> Result<&'a str, InputError> {
    std::str::from_utf8(bytes).map_err(|e| not_utf8(bytes, e, source, expected, None))
}

/// [`InputError::NotUtf8`] for `bytes`, whose decoding failed with `error`.
pub(crate) fn not_utf8(
    bytes: &[u8],
    error: std::str::Utf8Error,
    source: &str,
    expected: &'static str,
    not_binary: Option<String>,
) -> InputError {
    let offset = error.valid_up_to();
    let before = bytes.get(..offset).unwrap_or(bytes);
    InputError::NotUtf8 {
        source: source.to_string(),
        expected,
        offset,
        byte: bytes.get(offset).copied().unwrap_or(0),
        line: 1 + before.iter().filter(|&&b| b == b'\n').count(),
        not_binary,
    }
}

/// Reads a whole file; a failure is [`InputError::Unreadable`] (exit 66).
pub fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    std::fs::read(path).map_err(|error| InputError::Unreadable {
        path: path.display().to_string(),
        error,
    })
}

/// Decodes the bytes of a light-block file (`ferry verify --trusted/--untrusted`): UTF-8
/// JSON, then [`parse_light_block`].
pub fn parse_light_block_file(bytes: &[u8], source: &str) -> Result<Box<LightBlock>, InputError> {
    let text = utf8_text(bytes, source, "a light block (JSON)")?;
    parse_light_block(text, source)
}

/// Reads and decodes a light-block file ([`parse_light_block_file`]).
pub fn read_light_block(path: &Path) -> Result<Box<LightBlock>, InputError> {
    parse_light_block_file(&read_file(path)?, &path.display().to_string())
}

/// Parses a duration: `14d`, `336h`, `90m`, `10s`, `1h30m`, `500ms` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!("{s:?}: expected a number before a unit"));
        }
        let n: u64 = rest[..digits].parse().map_err(|e| format!("{s:?}: {e}"))?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "d" => Duration::from_secs(n.checked_mul(86_400).ok_or("duration overflows")?),
            "h" => Duration::from_secs(n.checked_mul(3_600).ok_or("duration overflows")?),
            "m" => Duration::from_secs(n.checked_mul(60).ok_or("duration overflows")?),
            "s" => Duration::from_secs(n),
            "ms" => Duration::from_millis(n),
            "" => {
                return Err(format!(
                    "{s:?}: a unit (d, h, m, s, ms) is required after {n}"
                ))
            }
            other => {
                return Err(format!(
                    "{s:?}: unknown unit {other:?} (use d, h, m, s, ms)"
                ))
            }
        };
        total = total.checked_add(part).ok_or("duration overflows")?;
    }
    Ok(total)
}

/// The current time from the system clock.
pub fn system_now() -> Result<Time, InputError> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| InputError::BadOption {
            option: "--now",
            error: format!("system clock is before 1970: {e}"),
        })?;
    Time::from_unix(d.as_secs() as i64, d.subsec_nanos()).map_err(|e| InputError::BadOption {
        option: "--now",
        error: e.to_string(),
    })
}

/// A verdict as the CLI reports it.
pub struct Report {
    /// `success`, `not_enough_trust` or `invalid`.
    pub verdict: &'static str,
    /// Why (empty on success).
    pub reason: String,
    /// Exit code: 0, 2 or 1.
    pub exit_code: i32,
}

/// Verifies `untrusted` against `trusted` with the default backend.
pub fn run_verify(
    trusted: &LightBlock,
    untrusted: &LightBlock,
    now: Time,
    options: &Options,
) -> Report {
    let state = TrustedState::from_light_block(trusted);
    match ferry_verifier::verify(&Zebra, &state, untrusted, now, options) {
        Verdict::Success => Report {
            verdict: "success",
            reason: String::new(),
            exit_code: 0,
        },
        Verdict::NotEnoughTrust(t) => Report {
            verdict: "not_enough_trust",
            reason: format!("{t}; verify an intermediate height first"),
            exit_code: 2,
        },
        Verdict::Invalid(e) => Report {
            verdict: "invalid",
            reason: e.to_string(),
            exit_code: 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("14d").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("5").is_ok());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn example_verifies() {
        let t = parse_light_block(EXAMPLE_TRUSTED, "t").unwrap();
        let u = parse_light_block(EXAMPLE_UNTRUSTED, "u").unwrap();
        let now = Time::parse_rfc3339(EXAMPLE_NOW).unwrap();
        let r = run_verify(&t, &u, now, &Options::default());
        assert_eq!((r.verdict, r.exit_code), ("success", 0), "{}", r.reason);
    }

    #[test]
    fn malformed_input_names_the_field() {
        let mut v: serde_json::Value = serde_json::from_str(EXAMPLE_TRUSTED).unwrap();
        v["signed_header"]["header"]["height"] = "x1".into();
        let e = parse_light_block(&v.to_string(), "f").err().unwrap();
        assert_eq!(e.exit_code(), 65);
        assert!(e.to_string().contains("signed_header.header.height"), "{e}");
        let e = parse_light_block("{", "f").err().unwrap();
        assert_eq!(e.exit_code(), 65);
        let mut v: serde_json::Value = serde_json::from_str(EXAMPLE_TRUSTED).unwrap();
        v["validator_set"]["validators"][0]["voting_power"] = "99999999999999999999".into();
        let e = parse_light_block(&v.to_string(), "f").err().unwrap();
        assert!(e.to_string().contains("validator_set.validators[0]"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_malformed_at_its_offset() {
        let mut bytes = EXAMPLE_TRUSTED.as_bytes().to_vec();
        let at = EXAMPLE_TRUSTED.find("chain_id").unwrap();
        bytes[at] = 0xC3; // a two-byte sequence cut short by the next ASCII byte
        let e = parse_light_block_file(&bytes, "f").err().unwrap();
        assert_eq!(e.exit_code(), 65);
        let line = 1 + EXAMPLE_TRUSTED[..at].matches('\n').count();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("0xC3 at byte offset {at} (line {line})")),
            "{msg}"
        );
        // Unchanged bytes decode.
        assert!(parse_light_block_file(EXAMPLE_TRUSTED.as_bytes(), "f").is_ok());
        // A sequence truncated by the end of the file.
        let e = utf8_text(b"ab\xE2\x82", "f", "x").err().unwrap();
        assert!(e.to_string().contains("0xE2 at byte offset 2"), "{e}");
    }
}
