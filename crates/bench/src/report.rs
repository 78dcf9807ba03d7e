//! Output: one JSON object per line on stdout (the format of shared/BENCH.md), and the
//! median of repetitions.

use std::io::Write;

/// One figure of a suite.
pub(crate) struct Metric<'a> {
    pub(crate) suite: &'a str,
    pub(crate) metric: &'a str,
    pub(crate) value: f64,
    pub(crate) unit: &'a str,
    /// Repetitions the value is the median of (omitted for counts).
    pub(crate) reps: Option<usize>,
    /// The crate and version a comparison is made against.
    pub(crate) peer: Option<&'a str>,
}

impl Metric<'_> {
    /// The JSON line.
    pub(crate) fn to_json(&self) -> String {
        let mut line = format!(
            "{{\"suite\":{},\"metric\":{},\"value\":{},\"unit\":{}",
            json_string(self.suite),
            json_string(self.metric),
            json_number(self.value),
            json_string(self.unit)
        );
        if let Some(peer) = self.peer {
            line.push_str(&format!(",\"peer\":{}", json_string(peer)));
        }
        if let Some(reps) = self.reps {
            line.push_str(&format!(",\"reps\":{reps}"));
        }
        line.push('}');
        line
    }

    /// Prints the JSON line on stdout (flushed, so lines appear as they are measured).
    pub(crate) fn emit(&self) {
        let mut out = std::io::stdout().lock();
        // A closed stdout (e.g. piped into `head`) is not worth a panic.
        let _ = writeln!(out, "{}", self.to_json());
        let _ = out.flush();
    }
}

pub(crate) fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON number rounded to 3 decimals (`null` if not finite, which JSON cannot carry).
pub(crate) fn json_number(value: f64) -> String {
    if !value.is_finite() {
        return "null".into();
    }
    let rounded = (value * 1000.0).round() / 1000.0;
    // `{:?}` prints the shortest representation that round-trips, always with a decimal
    // point or an exponent (e.g. `1234567.0`, `1.25`, `1e21`), all valid JSON numbers.
    format!("{rounded:?}")
}

/// The median of `samples` (the mean of the middle two for an even count; 0 when empty).
pub(crate) fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_matches_bench_md() {
        let line = Metric {
            suite: "book",
            metric: "peer_ops_per_sec",
            value: 987654.0,
            unit: "ops/s",
            reps: Some(5),
            peer: Some("lobster@0.7.0"),
        }
        .to_json();
        assert_eq!(
            line,
            "{\"suite\":\"book\",\"metric\":\"peer_ops_per_sec\",\"value\":987654.0,\
             \"unit\":\"ops/s\",\"peer\":\"lobster@0.7.0\",\"reps\":5}"
        );
        assert_eq!(json_number(1.23456), "1.235");
        assert_eq!(json_number(f64::NAN), "null");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
