//! What keeps a payload canonical and small beyond its types: the whitespace it may carry,
//! and the path (`actions[0].Order.Place.kind.Limit.post_only`) a parse error names.
//!
//! The payload types refuse unknown and duplicate fields at every level; the parser reports
//! where it stopped as a line and column, and [`path_at`] turns that into the field path a
//! client can act on.

/// Whitespace bytes a payload may carry outside strings: a small fixed margin plus one
/// byte in eight of its other bytes (room for a pretty-printer's indentation, none for
/// padding).
pub const PAYLOAD_WHITESPACE_MARGIN_BYTES: usize = 64;

/// The whitespace bytes outside strings in `text`, and the other bytes.
pub(crate) fn whitespace_split(text: &str) -> (usize, usize) {
    let (mut white, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
            white += 1;
        } else if byte == b'"' {
            in_string = true;
        }
    }
    (white, text.len() - white)
}

/// Whether `text` carries more whitespace than a canonical payload needs (see
/// [`PAYLOAD_WHITESPACE_MARGIN_BYTES`]).
pub(crate) fn is_padded(text: &str) -> Option<usize> {
    let (white, other) = whitespace_split(text);
    (white > PAYLOAD_WHITESPACE_MARGIN_BYTES + other / 8).then_some(white)
}

/// One open container while scanning.
enum Frame {
    /// An object and the key whose value is being read, if any.
    Object(Option<String>),
    /// An array and the index of the element being read.
    Array(usize),
}

/// The JSON path of the value at `line`/`column` (1-based, as `serde_json` reports them) in
/// `text`, e.g. `actions[0].Deposit.memo`; empty at the top level.
pub(crate) fn path_at(text: &str, line: usize, column: usize) -> String {
    let offset = byte_offset(text, line, column);
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0usize;
    // The last string read, and whether a ':' followed it (it was a key).
    let mut last_string: Option<String> = None;
    while i < offset.min(bytes.len()) {
        match bytes[i] {
            b'{' => {
                stack.push(Frame::Object(None));
                last_string = None;
            }
            b'[' => {
                stack.push(Frame::Array(0));
                last_string = None;
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                last_string = None;
                match stack.last_mut() {
                    Some(Frame::Array(index)) => *index += 1,
                    Some(Frame::Object(key)) => *key = None,
                    None => {}
                }
            }
            b':' => {
                if let Some(Frame::Object(key)) = stack.last_mut() {
                    *key = last_string.take();
                }
            }
            b'"' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let string = text.get(start..end.min(bytes.len())).unwrap_or_default().to_string();
                if end >= offset {
                    // The error is inside this string: a key being read names the field.
                    if let Some(Frame::Object(key)) = stack.last_mut() {
                        if key.is_none() {
                            *key = Some(string);
                        }
                    }
                    break;
                }
                last_string = Some(string);
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    // Stopped right after a key (an unknown or duplicate field): the key is the field.
    if let (Some(Frame::Object(key @ None)), Some(string)) = (stack.last_mut(), last_string) {
        *key = Some(string);
    }
    render(&stack)
}

fn render(stack: &[Frame]) -> String {
    let mut path = String::new();
    for frame in stack {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// Byte offset of a 1-based line and column (columns count bytes, as `serde_json`'s do).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0usize;
    for (number, row) in text.split_inclusive('\n').enumerate() {
        if number + 1 == line {
            return offset + column.min(row.len());
        }
        offset += row.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_nested_fields_and_array_elements() {
        let text = r#"{"actions":[{"Deposit":{"a":1}},{"Order":{"Place":{"kind":{"Limit":{"post_only":true}}}}}]}"#;
        let column = text.find("post_only").unwrap() + "post_only".len() + 1;
        assert_eq!(path_at(text, 1, column), "actions[1].Order.Place.kind.Limit.post_only");
        let column = text.find("\"a\"").unwrap() + 3;
        assert_eq!(path_at(text, 1, column), "actions[0].Deposit.a");
        assert_eq!(path_at(text, 1, 1), "");
    }

    #[test]
    fn whitespace_inside_strings_is_not_padding() {
        assert_eq!(whitespace_split(r#"{"a": "x y"}"#), (1, 11));
        assert!(is_padded(&format!("{{{}}}", " ".repeat(65))).is_some());
        assert!(is_padded(r#"{ "a" : 1 }"#).is_none());
    }
}
