//! A `Read` adapter that refuses lines longer than a limit, so that a file without line breaks
//! (a binary file, a wrong path) fails fast instead of growing a CSV record to the file's size.

use std::io::{self, Read};

/// The longest line a trace may have. Real rows are under 1 KiB; 1 MiB leaves room for long
/// label lists while keeping the reader's memory bounded.
pub const MAX_LINE_BYTES: usize = 1 << 20;

pub struct LineLimit<R> {
    inner: R,
    /// Bytes read since the last line break.
    current: usize,
}

impl<R> LineLimit<R> {
    pub fn new(inner: R) -> Self {
        LineLimit { inner, current: 0 }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // Scanning from the end stops at the last line break, so the cost is about one line
        // per read call, not one pass over the data.
        match buf[..n].iter().rposition(|&b| b == b'\n') {
            Some(p) => self.current = n - 1 - p,
            None => self.current += n,
        }
        if self.current > MAX_LINE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a line is longer than {MAX_LINE_BYTES} bytes; expected a CSV trace with \
                     one short row per line"
                ),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_over_the_limit_is_an_error_and_short_lines_pass() {
        let ok = "a,b\n".repeat(MAX_LINE_BYTES);
        let mut out = Vec::new();
        LineLimit::new(ok.as_bytes()).read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), ok.len());

        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        let err = LineLimit::new(&long[..])
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");
    }
}
