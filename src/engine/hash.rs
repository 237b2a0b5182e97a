//! FNV-1a 64: a stable hash of bytes, for everything that must hash the same on every machine
//! and Rust release (std's hasher promises neither): keyed random streams, plan hashes, and the
//! summary fingerprints `bench` prints.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a 64 of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a64::default();
    h.update(bytes);
    h.finish()
}

/// FNV-1a 64 of everything written to it: hashes a serialisation (`serde_json::to_writer`)
/// without holding its bytes, which for a summary of 100k workloads are 30 MB.
#[derive(Clone, Debug)]
pub struct Fnv1a64(u64);

impl Default for Fnv1a64 {
    fn default() -> Self {
        Fnv1a64(OFFSET)
    }
}

impl Fnv1a64 {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

impl std::io::Write for Fnv1a64 {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// FNV-1a 64 of `bytes` as 16 lower-case hex digits.
pub fn fnv1a64_hex(bytes: &[u8]) -> String {
    hex(fnv1a64(bytes))
}

/// A 64-bit hash as the 16 lower-case hex digits every printed fingerprint uses.
pub fn hex(h: u64) -> String {
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_fnv1a_test_vectors() {
        // Reference values of FNV-1a 64 (Fowler, Noll, Vo test suite): "" hashes to the offset
        // basis, "a" to 0xaf63dc4c8601ec8c, "foobar" to 0x85944171f73967e8.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a64_hex(b"a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn bytes_written_in_pieces_hash_as_the_whole() {
        use std::io::Write;
        // "foobar" written as "foo" then "bar": the published vector 0x85944171f73967e8.
        let mut h = Fnv1a64::default();
        h.write_all(b"foo").unwrap();
        h.write_all(b"bar").unwrap();
        assert_eq!(h.finish(), 0x8594_4171_f739_67e8);
    }
}
