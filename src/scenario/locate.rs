//! Finds where a value sits in a RON file, so that semantic errors found after parsing (an
//! unknown image name, a zero size) can still point at `FILE:LINE:COL`.
//!
//! serde hands us values without positions; rather than threading spans through every type,
//! we keep the path of the offending value (`workloads[2].template.containers[0].image`) and
//! walk the RON text along that path. The walker understands just enough RON to skip values:
//! comments, strings, raw strings, nested brackets, named structs and `Some(...)`.

/// One step of a path into the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Field(&'static str),
    Index(usize),
    Key(String),
}

/// A path into the scenario, built while validating.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(pub Vec<Seg>);

impl Path {
    pub fn root() -> Self {
        Path(Vec::new())
    }
    pub fn field(&self, f: &'static str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Field(f));
        p
    }
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for s in &self.0 {
            match s {
                Seg::Field(n) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(n)?;
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
                Seg::Key(k) => write!(f, "[{k:?}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

struct Walker<'a> {
    s: &'a [u8],
}

impl Walker<'_> {
    fn skip_ws(&self, mut i: usize) -> usize {
        let s = self.s;
        loop {
            while i < s.len() && (s[i] as char).is_ascii_whitespace() {
                i += 1;
            }
            if i + 1 < s.len() && s[i] == b'/' && s[i + 1] == b'/' {
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
            } else if i + 1 < s.len() && s[i] == b'/' && s[i + 1] == b'*' {
                let mut depth = 1;
                i += 2;
                while i < s.len() && depth > 0 {
                    if i + 1 < s.len() && s[i] == b'/' && s[i + 1] == b'*' {
                        depth += 1;
                        i += 2;
                    } else if i + 1 < s.len() && s[i] == b'*' && s[i + 1] == b'/' {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            } else if i + 1 < s.len() && s[i] == b'#' && s[i + 1] == b'!' {
                // `#![enable(...)]` attribute.
                while i < s.len() && s[i] != b']' {
                    i += 1;
                }
                i += 1;
            } else {
                return i;
            }
        }
    }

    fn skip_string(&self, mut i: usize) -> usize {
        let s = self.s;
        if s[i] == b'r' {
            let mut j = i + 1;
            let mut hashes = 0;
            while j < s.len() && s[j] == b'#' {
                hashes += 1;
                j += 1;
            }
            j += 1; // opening quote
            while j < s.len() {
                if s[j] == b'"' && s[j + 1..].iter().take(hashes).all(|&c| c == b'#') {
                    return (j + 1 + hashes).min(s.len());
                }
                j += 1;
            }
            return s.len();
        }
        let quote = s[i];
        i += 1;
        while i < s.len() && s[i] != quote {
            if s[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        (i + 1).min(s.len())
    }

    fn ident_end(&self, mut i: usize) -> usize {
        while i < self.s.len() && (self.s[i].is_ascii_alphanumeric() || self.s[i] == b'_') {
            i += 1;
        }
        i
    }

    fn is_raw_string(&self, i: usize) -> bool {
        self.s[i] == b'r'
            && i + 1 < self.s.len()
            && (self.s[i + 1] == b'"' || self.s[i + 1] == b'#')
    }

    /// Skips one value starting at `i` (after whitespace) and returns the index after it.
    fn skip_value(&self, i: usize) -> usize {
        let s = self.s;
        let i = self.skip_ws(i);
        if i >= s.len() {
            return i;
        }
        match s[i] {
            b'"' | b'\'' => self.skip_string(i),
            b'(' | b'[' | b'{' => self.skip_group(i),
            _ if self.is_raw_string(i) => self.skip_string(i),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let e = self.ident_end(i);
                let j = self.skip_ws(e);
                if j < s.len() && s[j] == b'(' {
                    self.skip_group(j)
                } else {
                    e
                }
            }
            _ => {
                let mut j = i;
                while j < s.len()
                    && !matches!(s[j], b',' | b')' | b']' | b'}')
                    && !(s[j] as char).is_ascii_whitespace()
                {
                    j += 1;
                }
                j
            }
        }
    }

    fn skip_group(&self, i: usize) -> usize {
        let s = self.s;
        let close = match s[i] {
            b'(' => b')',
            b'[' => b']',
            _ => b'}',
        };
        let mut j = self.skip_ws(i + 1);
        while j < s.len() && s[j] != close {
            // An entry: a value, optionally `value: value`.
            j = self.skip_value(j);
            j = self.skip_ws(j);
            if j < s.len() && s[j] == b':' {
                j = self.skip_value(j + 1);
                j = self.skip_ws(j);
            }
            if j < s.len() && s[j] == b',' {
                j = self.skip_ws(j + 1);
            } else if j < s.len() && s[j] != close {
                // Malformed: step forward so we always terminate.
                j += 1;
            }
        }
        (j + 1).min(s.len())
    }

    /// Steps into the body of a value: past a struct name, `Some(`, or straight to the bracket.
    fn open(&self, i: usize) -> Option<(usize, u8)> {
        let s = self.s;
        let mut i = self.skip_ws(i);
        loop {
            if i >= s.len() {
                return None;
            }
            match s[i] {
                b'(' | b'[' | b'{' => return Some((i + 1, s[i])),
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let e = self.ident_end(i);
                    let j = self.skip_ws(e);
                    if j < s.len() && s[j] == b'(' {
                        if &s[i..e] == b"Some" {
                            i = self.skip_ws(j + 1);
                            continue;
                        }
                        return Some((j + 1, b'('));
                    }
                    return None;
                }
                _ => return None,
            }
        }
    }

    fn find_field(&self, body: usize, name: &str) -> Option<usize> {
        let s = self.s;
        let mut j = self.skip_ws(body);
        while j < s.len() && s[j] != b')' {
            let key_start = j;
            let key_end = self.skip_value(j);
            let k = self.skip_ws(key_end);
            if k < s.len() && s[k] == b':' {
                let v = self.skip_ws(k + 1);
                if &s[key_start..key_end] == name.as_bytes() {
                    return Some(v);
                }
                j = self.skip_ws(self.skip_value(v));
            } else {
                j = k;
            }
            if j < s.len() && s[j] == b',' {
                j = self.skip_ws(j + 1);
            } else if j < s.len() && s[j] != b')' {
                j += 1;
            }
        }
        None
    }

    fn find_index(&self, body: usize, idx: usize) -> Option<usize> {
        let s = self.s;
        let mut j = self.skip_ws(body);
        let mut n = 0;
        while j < s.len() && !matches!(s[j], b']' | b')') {
            if n == idx {
                return Some(j);
            }
            j = self.skip_ws(self.skip_value(j));
            if j < s.len() && s[j] == b',' {
                j = self.skip_ws(j + 1);
            }
            n += 1;
        }
        None
    }

    fn find_key(&self, body: usize, key: &str) -> Option<usize> {
        let s = self.s;
        let mut j = self.skip_ws(body);
        while j < s.len() && s[j] != b'}' {
            let ks = j;
            let ke = self.skip_value(j);
            let lit = &s[ks..ke];
            let k = self.skip_ws(ke);
            let matches = lit.len() >= 2 && &lit[1..lit.len() - 1] == key.as_bytes();
            if k < s.len() && s[k] == b':' {
                let v = self.skip_ws(k + 1);
                if matches {
                    return Some(ks);
                }
                j = self.skip_ws(self.skip_value(v));
            } else {
                j = k;
            }
            if j < s.len() && s[j] == b',' {
                j = self.skip_ws(j + 1);
            } else if j < s.len() && s[j] != b'}' {
                j += 1;
            }
        }
        None
    }
}

/// 1-based line and column of byte offset `i`.
pub fn line_col(text: &str, i: usize) -> (usize, usize) {
    let i = i.min(text.len());
    let before = &text[..i];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before.rfind('\n').map(|p| i - p).unwrap_or(i + 1);
    (line, col)
}

/// Returns the 1-based (line, column) of the value at `path`, or of the deepest part of the
/// path that exists.
pub fn locate(text: &str, path: &Path) -> Option<(usize, usize)> {
    let w = Walker { s: text.as_bytes() };
    let mut pos = w.skip_ws(0);
    if pos >= text.len() {
        return None;
    }
    for seg in &path.0 {
        let Some((body, _)) = w.open(pos) else {
            break;
        };
        let next = match seg {
            Seg::Field(f) => w.find_field(body, f),
            Seg::Index(i) => w.find_index(body, *i),
            Seg::Key(k) => w.find_key(body, k),
        };
        match next {
            Some(p) => pos = p,
            None => break,
        }
    }
    Some(line_col(text, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"// header
Scenario(
    name: "x", // a comment with ( and "
    pools: [
        (name: "a", labels: {"k": "v", "os": "w"}),
        (name: "b", taints: [(key: "os", effect: NoSchedule)]),
    ],
    workloads: [(name: "w", created_at: Some("5m"), template: (containers: [(image: "img")]))],
)"#;

    #[test]
    fn finds_fields_indices_and_map_keys() {
        let p = Path::root()
            .field("pools")
            .index(1)
            .field("taints")
            .index(0)
            .field("effect");
        assert_eq!(locate(TEXT, &p), Some((6, 50)));
        let p = Path::root()
            .field("pools")
            .index(0)
            .field("labels")
            .key("os");
        assert_eq!(locate(TEXT, &p), Some((5, 40)));
        let p = Path::root()
            .field("workloads")
            .index(0)
            .field("template")
            .field("containers")
            .index(0)
            .field("image");
        assert_eq!(locate(TEXT, &p), Some((8, 85)));
    }

    #[test]
    fn a_missing_tail_points_at_the_deepest_existing_value() {
        let p = Path::root().field("pools").index(0).field("nope");
        assert_eq!(locate(TEXT, &p), Some((5, 9)));
    }
}
