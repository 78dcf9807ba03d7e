//! A tiny aligned-table formatter for human output: columns padded to their widest cell,
//! numbers right-aligned, text left-aligned, two spaces between columns.

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    /// Pad on the right (text).
    Left,
    /// Pad on the left (numbers).
    Right,
}

/// A table under construction.
#[derive(Debug, Default)]
pub(crate) struct Table {
    headers: Vec<String>,
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers; a header starting with `>` is right-aligned (the
    /// `>` is not printed).
    pub(crate) fn new(headers: &[&str]) -> Self {
        let mut table = Table::default();
        for header in headers {
            match header.strip_prefix('>') {
                Some(name) => {
                    table.headers.push(name.to_string());
                    table.aligns.push(Align::Right);
                }
                None => {
                    table.headers.push(header.to_string());
                    table.aligns.push(Align::Left);
                }
            }
        }
        table
    }

    /// Appends a row; missing cells are empty, extra cells are dropped.
    pub(crate) fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).take(self.headers.len()).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// Whether no row was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text: a header line, a rule, then the rows; each line ends in `\n` and
    /// carries no trailing spaces.
    pub(crate) fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|column| {
                let cells = self.rows.iter().map(|row| row[column].chars().count());
                cells.chain([self.headers[column].chars().count()]).max().unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        self.line(&mut out, &self.headers, &widths);
        let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
        self.line(&mut out, &rule, &widths);
        for row in &self.rows {
            self.line(&mut out, row, &widths);
        }
        out
    }

    fn line(&self, out: &mut String, cells: &[String], widths: &[usize]) {
        let mut line = String::new();
        for (column, cell) in cells.iter().enumerate() {
            if column > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[column].saturating_sub(cell.chars().count()));
            match self.aligns[column] {
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&pad);
                }
                Align::Right => {
                    line.push_str(&pad);
                    line.push_str(cell);
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// Key/value lines with the keys padded to one width (for single records).
pub(crate) fn key_values(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(key, _)| key.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in pairs {
        let pad = " ".repeat(width - key.chars().count());
        out.push_str(format!("{key}{pad}  {value}").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_the_widest_cell_and_numbers_align_right() {
        let mut table = Table::new(&["market", ">price", "side"]);
        table.row(["BTC-PERP", "65000.1", "buy"]);
        table.row(["ETH-PERP", "3000", "sell"]);
        let text = table.render();
        let expected = "\
market      price  side
--------  -------  ----
BTC-PERP  65000.1  buy
ETH-PERP     3000  sell
";
        assert_eq!(text, expected);
    }

    #[test]
    fn short_rows_are_filled_and_long_rows_are_cut() {
        let mut table = Table::new(&["a", "b"]);
        table.row(["1"]);
        table.row(["1", "2", "3"]);
        assert_eq!(table.render(), "a  b\n-  -\n1\n1  2\n");
    }

    #[test]
    fn width_counts_characters_not_bytes() {
        let mut table = Table::new(&["name", ">x"]);
        table.row(["—", "1"]);
        assert_eq!(table.render(), "name  x\n----  -\n—     1\n");
    }

    #[test]
    fn key_values_align_their_values() {
        assert_eq!(key_values(&[("height", "7".into()), ("chain id", "1".into())]), "height    7\nchain id  1\n");
    }
}
