//! The MessagePack encoding Hyperliquid hashes an L1 action with, and the JSON value it is
//! computed from.
//!
//! The hash covers the action exactly as the client built it, so two things matter that a
//! general JSON library would lose: the keys of every object in the order they were received
//! (so [`ActionValue`] keeps objects as ordered lists, never maps), and every integer in its
//! smallest MessagePack form (as the reference client's encoder writes them). Strings use the
//! `str` family (`fixstr`, `str8`, `str16`, `str32`). A JSON number with a fraction or an
//! exponent is refused: no Hyperliquid action carries one (prices and sizes are strings), and
//! the gateway never handles floating point.
//!
//! Written here rather than taken from a MessagePack crate because the format needed is a
//! small, fixed subset, and the key order must come from the request text itself.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Deepest nesting of arrays and objects accepted (a real action nests four levels).
pub const DEPTH_MAX: usize = 16;

/// A JSON value with its objects' keys in the order received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer.
    UInt(u64),
    /// A negative integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<ActionValue>),
    /// An object, keys in the order received (a repeated key is refused when parsing).
    Object(Vec<(String, ActionValue)>),
}

impl ActionValue {
    /// The value of `key`, if this is an object holding it.
    pub fn get(&self, key: &str) -> Option<&ActionValue> {
        match self {
            ActionValue::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ActionValue::Str(text) => Some(text),
            _ => None,
        }
    }

    fn depth(&self) -> usize {
        match self {
            ActionValue::Array(items) => 1 + items.iter().map(ActionValue::depth).max().unwrap_or(0),
            ActionValue::Object(entries) => 1 + entries.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Parses JSON text, keeping key order; refuses fractional numbers, repeated keys and
    /// nesting deeper than [`DEPTH_MAX`].
    pub fn from_json(text: &str) -> Result<ActionValue, String> {
        let value: ActionValue = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if value.depth() > DEPTH_MAX {
            return Err(format!("the action nests deeper than {DEPTH_MAX} levels"));
        }
        Ok(value)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = ActionValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value without fractional numbers")
    }

    fn visit_unit<E: de::Error>(self) -> Result<ActionValue, E> {
        Ok(ActionValue::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<ActionValue, E> {
        Ok(ActionValue::Bool(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<ActionValue, E> {
        Ok(ActionValue::UInt(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<ActionValue, E> {
        Ok(if value >= 0 { ActionValue::UInt(value as u64) } else { ActionValue::Int(value) })
    }

    fn visit_f64<E: de::Error>(self, _value: f64) -> Result<ActionValue, E> {
        Err(E::custom("a number with a fraction or exponent: Hyperliquid actions carry decimals as strings"))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ActionValue, E> {
        Ok(ActionValue::Str(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<ActionValue, E> {
        Ok(ActionValue::Str(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ActionValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(ActionValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ActionValue, A::Error> {
        let mut entries: Vec<(String, ActionValue)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, ActionValue>()? {
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("the key {key:?} appears twice")));
            }
            entries.push((key, value));
        }
        Ok(ActionValue::Object(entries))
    }
}

impl<'de> Deserialize<'de> for ActionValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ActionValue, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

fn write_length(out: &mut Vec<u8>, length: usize, fix: Option<(u8, usize)>, (w8, w16, w32): (Option<u8>, u8, u8)) {
    match (fix, w8) {
        (Some((marker, max)), _) if length <= max => out.push(marker | length as u8),
        (_, Some(marker)) if length <= 0xff => out.extend_from_slice(&[marker, length as u8]),
        _ if length <= 0xffff => {
            out.push(w16);
            out.extend_from_slice(&(length as u16).to_be_bytes());
        }
        _ => {
            out.push(w32);
            out.extend_from_slice(&(length as u32).to_be_bytes());
        }
    }
}

fn write_uint(out: &mut Vec<u8>, value: u64) {
    if value <= 0x7f {
        out.push(value as u8);
    } else if value <= 0xff {
        out.extend_from_slice(&[0xcc, value as u8]);
    } else if value <= 0xffff {
        out.push(0xcd);
        out.extend_from_slice(&(value as u16).to_be_bytes());
    } else if value <= 0xffff_ffff {
        out.push(0xce);
        out.extend_from_slice(&(value as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

fn write_int(out: &mut Vec<u8>, value: i64) {
    if value >= 0 {
        write_uint(out, value as u64);
    } else if value >= -32 {
        out.push(value as i8 as u8);
    } else if value >= i64::from(i8::MIN) {
        out.extend_from_slice(&[0xd0, value as i8 as u8]);
    } else if value >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(value as i16).to_be_bytes());
    } else if value >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(value as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Appends the MessagePack encoding of `value` to `out`.
pub fn encode(value: &ActionValue, out: &mut Vec<u8>) {
    match value {
        ActionValue::Null => out.push(0xc0),
        ActionValue::Bool(false) => out.push(0xc2),
        ActionValue::Bool(true) => out.push(0xc3),
        ActionValue::UInt(n) => write_uint(out, *n),
        ActionValue::Int(n) => write_int(out, *n),
        ActionValue::Str(text) => {
            write_length(out, text.len(), Some((0xa0, 31)), (Some(0xd9), 0xda, 0xdb));
            out.extend_from_slice(text.as_bytes());
        }
        ActionValue::Array(items) => {
            write_length(out, items.len(), Some((0x90, 15)), (None, 0xdc, 0xdd));
            for item in items {
                encode(item, out);
            }
        }
        ActionValue::Object(entries) => {
            write_length(out, entries.len(), Some((0x80, 15)), (None, 0xde, 0xdf));
            for (key, item) in entries {
                encode(&ActionValue::Str(key.clone()), out);
                encode(item, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(json: &str) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&ActionValue::from_json(json).unwrap(), &mut out);
        out
    }

    #[test]
    fn integers_take_their_smallest_form() {
        assert_eq!(packed("0"), [0x00]);
        assert_eq!(packed("127"), [0x7f]);
        assert_eq!(packed("128"), [0xcc, 0x80]);
        assert_eq!(packed("256"), [0xcd, 0x01, 0x00]);
        assert_eq!(packed("65536"), [0xce, 0, 1, 0, 0]);
        assert_eq!(packed("4294967296"), [0xcf, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(packed("-1"), [0xff]);
        assert_eq!(packed("-32"), [0xe0]);
        assert_eq!(packed("-33"), [0xd0, 0xdf]);
        assert_eq!(packed("-129"), [0xd1, 0xff, 0x7f]);
        assert_eq!(packed("-32769"), [0xd2, 0xff, 0xff, 0x7f, 0xff]);
    }

    #[test]
    fn strings_arrays_and_maps_take_their_fix_forms_then_grow() {
        assert_eq!(packed("\"a\""), [0xa1, b'a']);
        let long = format!("\"{}\"", "x".repeat(32));
        assert_eq!(&packed(&long)[..2], [0xd9, 32]);
        assert_eq!(packed("[true,false,null]"), [0x93, 0xc3, 0xc2, 0xc0]);
        let sixteen = format!("[{}]", vec!["1"; 16].join(","));
        assert_eq!(&packed(&sixteen)[..3], [0xdc, 0, 16]);
        assert_eq!(packed("{\"b\":1,\"a\":2}"), [0x82, 0xa1, b'b', 0x01, 0xa1, b'a', 0x02], "key order as received");
    }

    #[test]
    fn fractions_repeated_keys_and_deep_nesting_are_refused() {
        assert!(ActionValue::from_json("1.5").is_err());
        assert!(ActionValue::from_json("{\"a\":1,\"a\":2}").is_err());
        let deep = format!("{}{}", "[".repeat(DEPTH_MAX + 1), "]".repeat(DEPTH_MAX + 1));
        assert!(ActionValue::from_json(&deep).is_err());
        let ok = format!("{}{}", "[".repeat(DEPTH_MAX), "]".repeat(DEPTH_MAX));
        assert!(ActionValue::from_json(&ok).is_ok());
    }
}
