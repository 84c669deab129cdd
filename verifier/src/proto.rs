//! A minimal protobuf (proto3) writer into a fixed-size stack buffer.
//!
//! Only what CometBFT's hashed and signed encodings need: varints, `sfixed64`, length-delimited
//! bytes and nested messages, with proto3's rule that zero/empty scalar fields are omitted.
//! Writing past the buffer sets an overflow flag instead of panicking; callers turn it into an
//! error.

/// Wire type 0: varint.
pub(crate) const VARINT: u8 = 0;
/// Wire type 1: 64-bit.
pub(crate) const FIXED64: u8 = 1;
/// Wire type 2: length-delimited.
pub(crate) const LEN: u8 = 2;

/// A fixed-capacity byte buffer with protobuf writers.
#[derive(Clone)]
pub(crate) struct Buf<const N: usize> {
    data: [u8; N],
    len: usize,
    overflow: bool,
}

impl<const N: usize> Buf<N> {
    pub(crate) const fn new() -> Self {
        Buf {
            data: [0; N],
            len: 0,
            overflow: false,
        }
    }

    /// The bytes written, or `None` if any write overflowed.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        if self.overflow {
            None
        } else {
            self.data.get(..self.len)
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn put(&mut self, b: &[u8]) {
        let end = match self.len.checked_add(b.len()) {
            Some(e) if e <= N => e,
            _ => {
                self.overflow = true;
                return;
            }
        };
        if let Some(dst) = self.data.get_mut(self.len..end) {
            dst.copy_from_slice(b);
            self.len = end;
        } else {
            self.overflow = true;
        }
    }

    // `i` stays below 10 (the loop is bounded by `tmp`).
    #[allow(clippy::arithmetic_side_effects)]
    pub(crate) fn varint(&mut self, mut v: u64) {
        let mut tmp = [0u8; 10];
        let mut i = 0;
        while let Some(slot) = tmp.get_mut(i) {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                *slot = byte;
                i += 1;
                break;
            }
            *slot = byte | 0x80;
            i += 1;
        }
        self.put(tmp.get(..i).unwrap_or(&[]));
    }

    pub(crate) fn key(&mut self, field: u8, wire: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire));
    }

    /// `uint64`/`uint32`/enum field, omitted when zero.
    pub(crate) fn uint_field(&mut self, field: u8, v: u64) {
        if v != 0 {
            self.key(field, VARINT);
            self.varint(v);
        }
    }

    /// `int64`/`int32` field (two's complement varint), omitted when zero.
    pub(crate) fn int_field(&mut self, field: u8, v: i64) {
        self.uint_field(field, v as u64);
    }

    /// `sfixed64` field, omitted when zero.
    pub(crate) fn sfixed64_field(&mut self, field: u8, v: i64) {
        if v != 0 {
            self.key(field, FIXED64);
            self.put(&v.to_le_bytes());
        }
    }

    /// `bytes`/`string` field, omitted when empty.
    pub(crate) fn bytes_field(&mut self, field: u8, b: &[u8]) {
        if !b.is_empty() {
            self.len_field(field, b);
        }
    }

    /// A length-delimited field written even when empty (non-nullable embedded messages).
    pub(crate) fn len_field(&mut self, field: u8, b: &[u8]) {
        self.key(field, LEN);
        self.varint(b.len() as u64);
        self.put(b);
    }

    /// An embedded message field written even when empty; `None` payload marks overflow.
    pub(crate) fn msg_field(&mut self, field: u8, msg: Option<&[u8]>) {
        match msg {
            Some(m) => self.len_field(field, m),
            None => self.overflow = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        let mut b = Buf::<32>::new();
        b.varint(0);
        b.varint(300);
        b.varint(u64::MAX);
        assert_eq!(
            b.bytes().unwrap(),
            &[0x00, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
    }

    #[test]
    fn overflow_is_flagged_not_panicking() {
        let mut b = Buf::<3>::new();
        b.bytes_field(1, b"abcdef");
        assert!(b.bytes().is_none());
    }

    #[test]
    fn zero_fields_are_omitted() {
        let mut b = Buf::<16>::new();
        b.uint_field(1, 0);
        b.int_field(2, 0);
        b.sfixed64_field(3, 0);
        b.bytes_field(4, &[]);
        assert_eq!(b.bytes().unwrap(), &[] as &[u8]);
        b.len_field(5, &[]);
        assert_eq!(b.bytes().unwrap(), &[0x2a, 0x00]);
    }
}
