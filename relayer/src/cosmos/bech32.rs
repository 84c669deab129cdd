//! Bech32 (BIP-173) encoding of Cosmos SDK addresses.

use super::Error;

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// Bech32 of `data` with the human-readable part `hrp` (an account prefix such as `cosmos`):
/// `hrp`, `1`, the data in 5-bit groups (zero-padded), a 6-character checksum.
///
/// `hrp` must be 1 to 83 lowercase printable ASCII characters (BIP-173; an uppercase prefix
/// would make a mixed-case string, which decoders refuse).
pub fn encode(hrp: &str, data: &[u8]) -> Result<String, Error> {
    let bad = |reason| Error::InvalidPrefix {
        prefix: hrp.to_string(),
        reason,
    };
    if hrp.is_empty() || hrp.len() > 83 {
        return Err(bad("must be 1 to 83 characters"));
    }
    if !hrp.bytes().all(|b| (33..=126).contains(&b)) {
        return Err(bad("must be printable ASCII without spaces"));
    }
    if hrp.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad("must be lowercase"));
    }
    let mut values = Vec::with_capacity(data.len() * 8 / 5 + 7);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = ((acc << 8) | u32::from(b)) & 0xfff;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            values.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        values.push(((acc << (5 - bits)) & 31) as u8);
    }
    let expanded = hrp
        .bytes()
        .map(|c| c >> 5)
        .chain([0])
        .chain(hrp.bytes().map(|c| c & 31))
        .chain(values.iter().copied())
        .chain([0; 6]);
    let checksum = polymod(expanded) ^ 1;
    let mut out = String::with_capacity(hrp.len() + 1 + values.len() + 6);
    out.push_str(hrp);
    out.push('1');
    let checksum = (0..6).map(|i| ((checksum >> (5 * (5 - i))) & 31) as u8);
    for v in values.iter().copied().chain(checksum) {
        out.push(char::from(CHARSET[usize::from(v)]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of a bech32 data part whose length is a multiple of 8 characters (no padding).
    fn unpack(chars: &str) -> Vec<u8> {
        let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
        for c in chars.bytes() {
            let v = CHARSET.iter().position(|&x| x == c).unwrap() as u32;
            acc = (acc << 5) | v;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        assert_eq!(bits, 0);
        out
    }

    #[test]
    fn bip173_vectors() {
        // BIP-173's valid strings whose data is a whole number of bytes.
        for (hrp, data, full) in [
            ("a", "", "a12uel5l"),
            (
                "abcdef",
                "qpzry9x8gf2tvdw0s3jn54khce6mua7l",
                "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            ),
            (
                "split",
                "checkupstagehandshakeupstreamerranterredcaperred",
                "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
            ),
        ] {
            assert_eq!(encode(hrp, &unpack(data)).unwrap(), full);
        }
    }

    #[test]
    fn cosmos_address() {
        // `simd keys parse cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullm3`.
        let bytes = [
            0xa4, 0xc5, 0x30, 0xe1, 0xe6, 0xda, 0x54, 0x4a, 0xa4, 0x48, 0xde, 0x13, 0x53, 0x7d,
            0xbb, 0x9c, 0x8e, 0x19, 0xdd, 0x0d,
        ];
        assert_eq!(
            encode("cosmos", &bytes).unwrap(),
            "cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullm3"
        );
    }

    #[test]
    fn bad_prefixes_refused() {
        for hrp in ["", "Cosmos", "cos mos", "\u{e9}", &"a".repeat(84)] {
            assert!(
                matches!(encode(hrp, &[1]), Err(Error::InvalidPrefix { .. })),
                "{hrp:?}"
            );
        }
    }
}
