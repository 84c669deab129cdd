//! Small encoders the RPC and the CLIs need: base64, hex, bech32 addresses.

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (Go's `base64.StdEncoding`).
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padded) to bytes.
pub(crate) fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; s.len() / 4 * 3 + 3];
    let n = ferry_verifier::types::decode_base64_into(s, &mut out, "base64")
        .map_err(|e| e.to_string())?;
    out.truncate(n);
    Ok(out)
}

/// Lowercase hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
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

/// Decodes a bech32 (BIP-173) string such as a Cosmos address into its human-readable part
/// and its bytes, checking the checksum.
pub fn bech32_decode(s: &str) -> Result<(String, Vec<u8>), String> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) && s.bytes().any(|b| b.is_ascii_lowercase()) {
        return Err(format!("{s:?} mixes cases"));
    }
    let s = s.to_ascii_lowercase();
    let sep = s
        .rfind('1')
        .ok_or_else(|| format!("{s:?} has no separator"))?;
    let (hrp, data) = (&s[..sep], &s[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return Err(format!("{s:?} is too short for bech32"));
    }
    let values = data
        .bytes()
        .map(|c| {
            BECH32
                .iter()
                .position(|&x| x == c)
                .map(|p| p as u8)
                .ok_or_else(|| format!("{:?} is not a bech32 character", char::from(c)))
        })
        .collect::<Result<Vec<u8>, String>>()?;
    let expanded = hrp
        .bytes()
        .map(|c| c >> 5)
        .chain([0])
        .chain(hrp.bytes().map(|c| c & 31))
        .chain(values.iter().copied());
    if polymod(expanded) != 1 {
        return Err(format!("{s:?} has a bad bech32 checksum"));
    }
    let payload = &values[..values.len() - 6];
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for v in payload {
        acc = (acc << 5) | u32::from(*v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if bits >= 5 || acc != 0 {
        return Err(format!("{s:?} has bad bech32 padding"));
    }
    Ok((hrp.to_string(), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_go() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_decode("Zm9vYg==").unwrap(), b"foob");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64_encode(&all)).unwrap(), all);
    }

    #[test]
    fn hex_lowercase() {
        assert_eq!(hex_encode(&[0, 0xAB, 0x10]), "00ab10");
    }

    #[test]
    fn bech32_cosmos_address() {
        // `simd keys parse cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullm3`.
        let (hrp, bytes) = bech32_decode("cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullm3").unwrap();
        assert_eq!(hrp, "cosmos");
        assert_eq!(
            hex_encode(&bytes),
            "a4c530e1e6da544aa448de13537dbb9c8e19dd0d"
        );
        assert!(bech32_decode("cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullm4").is_err());
        assert!(bech32_decode("cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullmb").is_err());
        assert!(bech32_decode("nonsense").is_err());
    }
}
