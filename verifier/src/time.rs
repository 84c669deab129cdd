//! Block time: seconds and nanoseconds since the Unix epoch, RFC 3339 with nanoseconds.

use core::fmt;
use core::time::Duration;

use crate::error::Error;

/// Seconds of 0001-01-01T00:00:00Z relative to the Unix epoch (Go's zero `time.Time`).
pub const MIN_UNIX_SECS: i64 = -62_135_596_800;
/// Seconds of 9999-12-31T23:59:59Z relative to the Unix epoch.
pub const MAX_UNIX_SECS: i64 = 253_402_300_799;

/// A UTC instant with nanosecond precision, in the range of RFC 3339 (years 0001 to 9999),
/// as CometBFT's `google.protobuf.Timestamp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time {
    secs: i64,
    nanos: u32,
}

impl Time {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Time = Time { secs: 0, nanos: 0 };

    /// Builds a time from Unix seconds and nanoseconds; both must be in range.
    pub fn from_unix(secs: i64, nanos: u32) -> Result<Self, Error> {
        if !(MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&secs) || nanos >= 1_000_000_000 {
            return Err(Error::TimeOutOfRange);
        }
        Ok(Time { secs, nanos })
    }

    /// Seconds since the Unix epoch (negative before 1970).
    pub fn unix_secs(&self) -> i64 {
        self.secs
    }

    /// Nanoseconds within the second, below 10^9.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// `self + d`, or `None` when the result leaves the RFC 3339 range.
    pub fn checked_add(&self, d: Duration) -> Option<Time> {
        let secs = i64::try_from(d.as_secs()).ok()?;
        let mut s = self.secs.checked_add(secs)?;
        let mut n = self.nanos.checked_add(d.subsec_nanos())?;
        if n >= 1_000_000_000 {
            n = n.checked_sub(1_000_000_000)?;
            s = s.checked_add(1)?;
        }
        Time::from_unix(s, n).ok()
    }

    /// `self - d`, or `None` when the result leaves the RFC 3339 range.
    pub fn checked_sub(&self, d: Duration) -> Option<Time> {
        let secs = i64::try_from(d.as_secs()).ok()?;
        let mut s = self.secs.checked_sub(secs)?;
        let (mut n, borrow) = match self.nanos.checked_sub(d.subsec_nanos()) {
            Some(n) => (n, false),
            None => (
                self.nanos
                    .checked_add(1_000_000_000)?
                    .checked_sub(d.subsec_nanos())?,
                true,
            ),
        };
        if borrow {
            s = s.checked_sub(1)?;
        }
        if n >= 1_000_000_000 {
            n = n.checked_sub(1_000_000_000)?;
            s = s.checked_add(1)?;
        }
        Time::from_unix(s, n).ok()
    }

    /// Parses RFC 3339 (`2025-01-01T00:00:05.123456789Z`, any offset, up to 9 fraction digits).
    pub fn parse_rfc3339(s: &str) -> Result<Self, Error> {
        parse_rfc3339(s.as_bytes()).ok_or(Error::InvalidTime)
    }

    /// Calendar fields (year, month, day, hour, minute, second) in UTC.
    // Bounded by the RFC 3339 range.
    #[allow(clippy::arithmetic_side_effects)]
    pub fn to_civil(&self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let rem = rem as u32; // 0..86400
        (y, m, d, rem / 3600, (rem / 60) % 60, rem % 60)
    }
}

// Howard Hinnant's days_from_civil / civil_from_days; all values are bounded by the RFC 3339
// range, so none of this arithmetic can overflow.
#[allow(clippy::arithmetic_side_effects)]
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp as i64 + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[allow(clippy::arithmetic_side_effects)]
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v
            .checked_mul(10)?
            .checked_add(u32::from(c.wrapping_sub(b'0')))?;
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

// Calendar fields are range-checked before they are combined.
#[allow(clippy::arithmetic_side_effects)]
fn parse_rfc3339(b: &[u8]) -> Option<Time> {
    // YYYY-MM-DDTHH:MM:SS
    if b.len() < 20 {
        return None;
    }
    let (date, rest) = b.split_at(10);
    if date.get(4) != Some(&b'-') || date.get(7) != Some(&b'-') {
        return None;
    }
    let year = i64::from(digits(date.get(0..4)?)?);
    let month = digits(date.get(5..7)?)?;
    let day = digits(date.get(8..10)?)?;
    if !matches!(rest.first(), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let clock = rest.get(1..9)?;
    if clock.get(2) != Some(&b':') || clock.get(5) != Some(&b':') {
        return None;
    }
    let hour = digits(clock.get(0..2)?)?;
    let minute = digits(clock.get(3..5)?)?;
    let second = digits(clock.get(6..8)?)?;
    let mut rest = rest.get(9..)?;
    let mut nanos: u32 = 0;
    if rest.first() == Some(&b'.') {
        let frac_len = rest
            .iter()
            .skip(1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if frac_len == 0 || frac_len > 9 {
            return None;
        }
        nanos = digits(rest.get(1..=frac_len)?)?;
        for _ in frac_len..9 {
            nanos = nanos.checked_mul(10)?;
        }
        rest = rest.get(frac_len.checked_add(1)?..)?;
    }
    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = i64::from(digits(&[*h1, *h2])?);
            let m = i64::from(digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let o = h.checked_mul(3600)?.checked_add(m.checked_mul(60)?)?;
            if *sign == b'-' {
                o.checked_neg()?
            } else {
                o
            }
        }
        _ => return None,
    };
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return None,
    };
    if year < 1 || day < 1 || day > month_days || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // A leap second (:60) is folded into the next second, as Go's parser rejects it; we
    // reject it too rather than guess.
    if second == 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(i64::from(hour * 3600 + minute * 60 + second))?
        .checked_sub(offset_secs)?;
    Time::from_unix(secs, nanos).ok()
}

impl fmt::Display for Time {
    /// RFC 3339 in UTC, with the fraction trimmed of trailing zeros (as Go's `RFC3339Nano`).
    // Trimming at most 9 digits off a value below 10^9.
    #[allow(clippy::arithmetic_side_effects)]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.to_civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if self.nanos != 0 {
            let mut n = self.nanos;
            let mut width = 9;
            while n.is_multiple_of(10) {
                n /= 10;
                width -= 1;
            }
            write!(f, ".{n:0width$}")?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn parses_and_formats_round_trip() {
        for s in [
            "1970-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2017-12-25T03:00:01.234Z",
            "2024-02-29T12:34:56.000000001Z",
        ] {
            let t = Time::parse_rfc3339(s).unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert_eq!(
            Time::parse_rfc3339("0001-01-01T00:00:00Z")
                .unwrap()
                .unix_secs(),
            MIN_UNIX_SECS
        );
        assert_eq!(
            Time::parse_rfc3339("2017-12-25T03:00:01.234Z").unwrap(),
            Time::from_unix(1_514_170_801, 234_000_000).unwrap()
        );
    }

    #[test]
    fn offsets_are_applied() {
        let a = Time::parse_rfc3339("2025-01-01T02:00:00+02:00").unwrap();
        let b = Time::parse_rfc3339("2025-01-01T00:00:00Z").unwrap();
        assert_eq!(a, b);
        let c = Time::parse_rfc3339("2024-12-31T23:30:00-00:30").unwrap();
        assert_eq!(c, b);
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2025-01-01",
            "2025-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:00:00",
            "2025-01-01T00:00:00.Z",
            "2025-01-01T00:00:00.1234567890Z",
            "2025-01-01T00:00:00+25:00",
            "0000-01-01T00:00:00Z",
            "２025-01-01T00:00:00Z",
        ] {
            assert_eq!(Time::parse_rfc3339(s), Err(Error::InvalidTime), "{s}");
        }
    }

    #[test]
    fn checked_arithmetic() {
        let t = Time::from_unix(10, 900_000_000).unwrap();
        let u = t.checked_add(Duration::new(1, 200_000_000)).unwrap();
        assert_eq!(u, Time::from_unix(12, 100_000_000).unwrap());
        assert_eq!(u.checked_sub(Duration::new(1, 200_000_000)).unwrap(), t);
        let max = Time::from_unix(MAX_UNIX_SECS, 0).unwrap();
        assert_eq!(max.checked_add(Duration::from_secs(1)), None);
        assert_eq!(t.checked_add(Duration::from_secs(u64::MAX)), None);
    }
}
