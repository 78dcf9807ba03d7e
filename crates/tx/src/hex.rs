//! Fixed-length `0x`-hex fields of the envelope: decoding that names the field at fault, and
//! lower-case encoding.

use crate::error::TxError;

/// Decodes `0x` followed by exactly `2 * N` hex digits (either case) into `N` bytes.
pub(crate) fn decode_fixed<const N: usize>(text: &str, field: &'static str) -> Result<[u8; N], TxError> {
    let digits = text.strip_prefix("0x").ok_or(TxError::BadHex { field, expected_bytes: N })?;
    decode_digits(digits.as_bytes(), field)
}

/// Decodes a secret key: 64 hex digits, with or without `0x`, surrounding whitespace ignored.
pub(crate) fn decode_secret(text: &str) -> Result<[u8; 32], TxError> {
    let trimmed = text.trim();
    decode_digits(trimmed.strip_prefix("0x").unwrap_or(trimmed).as_bytes(), "secret_key")
}

fn decode_digits<const N: usize>(digits: &[u8], field: &'static str) -> Result<[u8; N], TxError> {
    let error = TxError::BadHex { field, expected_bytes: N };
    if digits.len() != 2 * N {
        return Err(error);
    }
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let high = nibble(pair[0]).ok_or(error.clone())?;
        let low = nibble(pair[1]).ok_or(error.clone())?;
        *byte = (high << 4) | low;
    }
    Ok(bytes)
}

/// `0x` followed by the lower-case hex digits of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(2 + 2 * bytes.len());
    text.push_str("0x");
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_either_case_and_round_trips() {
        let bytes: [u8; 3] = decode_fixed("0xA0ff01", "x").unwrap();
        assert_eq!(bytes, [0xa0, 0xff, 0x01]);
        assert_eq!(encode(&bytes), "0xa0ff01");
    }

    #[test]
    fn rejects_missing_prefix_wrong_length_and_non_hex() {
        let expected = Err(TxError::BadHex { field: "x", expected_bytes: 2 });
        assert_eq!(decode_fixed::<2>("abcd", "x"), expected);
        assert_eq!(decode_fixed::<2>("0xabc", "x"), expected);
        assert_eq!(decode_fixed::<2>("0xabcdef", "x"), expected);
        assert_eq!(decode_fixed::<2>("0xabcg", "x"), expected);
        assert_eq!(decode_fixed::<2>("0x+bcd", "x"), expected);
        assert_eq!(decode_fixed::<2>("0xéé", "x"), expected);
    }

    #[test]
    fn secret_keys_may_omit_the_prefix() {
        let key = "11".repeat(32);
        assert_eq!(decode_secret(&key).unwrap(), [0x11; 32]);
        assert_eq!(decode_secret(&format!("0x{key}\n")).unwrap(), [0x11; 32]);
    }
}
