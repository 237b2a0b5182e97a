//! Human units in scenario files: durations (`"90s"`, `"1h30m"`), sizes (`"3.1GB"`, `"1Gi"`),
//! rates (`"100MB/s"`, `"1Gbit/s"`) and CPU (`"500m"`, `"2"`).
//!
//! Parsing is exact decimal arithmetic (no floats), so `"3.1GB"` is exactly 3,100,000,000 bytes
//! on every machine. Decimal prefixes follow SI and Kubernetes quantities (k, M, G, T = 10^3n);
//! binary ones follow Kubernetes (Ki, Mi, Gi, Ti = 2^10n). Each type serialises back to a
//! canonical string, so a scenario written by `hybridsim import` reads back unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::fmt;

/// Splits `"3.1GB"` into the exact value `number × multiplier`, rejecting overflow and
/// fractions finer than the unit can hold.
fn scaled(number: &str, multiplier: u128, divisor: u128) -> Result<u64, String> {
    let (int, frac) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return Err("a number is missing".into());
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{number}` is not a non-negative decimal number"));
    }
    if frac.len() > 18 {
        return Err(format!("`{number}` has too many decimals"));
    }
    let int_v: u128 = if int.is_empty() {
        0
    } else {
        int.parse()
            .map_err(|_| format!("`{number}` is too large"))?
    };
    let frac_v: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().unwrap_or(0)
    };
    let frac_den = 10u128.pow(frac.len() as u32);
    let total_num = int_v
        .checked_mul(multiplier)
        .and_then(|v| v.checked_mul(frac_den))
        .and_then(|v| v.checked_add(frac_v * multiplier))
        .ok_or_else(|| format!("`{number}` is too large"))?;
    let den = frac_den * divisor;
    // Round half up to the unit: "1.5ms" is not representable and becomes 2 ms.
    let v = (total_num + den / 2) / den;
    u64::try_from(v).map_err(|_| format!("`{number}` is too large"))
}

fn split_number(s: &str) -> (&str, &str) {
    let idx = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    (&s[..idx], &s[idx..])
}

/// Parses a duration into milliseconds: one or more `NUMBER UNIT` parts, units `ms`, `s`, `m`,
/// `h`, `d` (for example `"90s"`, `"6m"`, `"1h30m"`, `"0.5s"`).
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("expected a duration such as \"90s\", \"6m\" or \"1h30m\"".into());
    }
    let mut rest = t;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (num, tail) = split_number(rest);
        if num.is_empty() {
            return Err(format!(
                "expected a duration such as \"90s\", \"6m\" or \"1h30m\", found \"{s}\""
            ));
        }
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let unit = &tail[..unit_len];
        let mult: u128 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => {
                return Err(format!(
                    "duration \"{s}\" needs a unit (ms, s, m, h or d), e.g. \"{num}s\""
                ));
            }
            other => {
                return Err(format!(
                    "unknown duration unit `{other}` in \"{s}\" (expected ms, s, m, h or d)"
                ));
            }
        };
        let part = scaled(num, mult, 1)?;
        total = total
            .checked_add(part)
            .ok_or_else(|| format!("duration \"{s}\" is too large"))?;
        rest = &tail[unit_len..];
    }
    Ok(total)
}

fn byte_multiplier(unit: &str) -> Option<u128> {
    Some(match unit {
        "" | "B" => 1,
        "k" | "K" | "kB" | "KB" => 1_000,
        "M" | "MB" => 1_000_000,
        "G" | "GB" => 1_000_000_000,
        "T" | "TB" => 1_000_000_000_000,
        "Ki" | "KiB" => 1 << 10,
        "Mi" | "MiB" => 1 << 20,
        "Gi" | "GiB" => 1 << 30,
        "Ti" | "TiB" => 1 << 40,
        _ => return None,
    })
}

/// Parses a size into bytes: `"3.1GB"` (decimal), `"1Gi"`/`"1GiB"` (binary), `"512"` (bytes).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, unit) = split_number(t);
    let mult = byte_multiplier(unit.trim()).ok_or_else(|| {
        format!(
            "expected a size such as \"3.1GB\", \"512MB\" or \"1Gi\", found \"{s}\" \
             (units: B, kB, MB, GB, TB, Ki, Mi, Gi, Ti)"
        )
    })?;
    if num.is_empty() {
        return Err(format!("expected a size such as \"3.1GB\", found \"{s}\""));
    }
    scaled(num, mult, 1)
}

/// Parses a transfer rate into bytes per second: `"100MB/s"`, `"50MiB/s"`, `"1Gbit/s"`,
/// `"800Mbps"`.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let err = || {
        format!("expected a rate such as \"100MB/s\", \"50MiB/s\" or \"1Gbit/s\", found \"{s}\"")
    };
    let (num, unit) = split_number(t);
    if num.is_empty() {
        return Err(err());
    }
    let (mult, div): (u128, u128) = match unit.trim() {
        "bit/s" | "bps" => (1, 8),
        "kbit/s" | "Kbit/s" | "kbps" | "Kbps" => (1_000, 8),
        "Mbit/s" | "Mbps" => (1_000_000, 8),
        "Gbit/s" | "Gbps" => (1_000_000_000, 8),
        u => {
            let base = u.strip_suffix("/s").ok_or_else(err)?;
            (byte_multiplier(base).ok_or_else(err)?, 1)
        }
    };
    scaled(num, mult, div)
}

/// Parses CPU into millicores: `"500m"`, `"2"`, `"1.5"`.
pub fn parse_cpu_millis(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, unit) = split_number(t);
    if num.is_empty() {
        return Err(format!(
            "expected CPU such as \"500m\", \"2\" or \"1.5\", found \"{s}\""
        ));
    }
    match unit {
        "m" => scaled(num, 1, 1),
        "" => scaled(num, 1000, 1),
        _ => Err(format!(
            "expected CPU such as \"500m\", \"2\" or \"1.5\", found \"{s}\""
        )),
    }
}

/// Formats milliseconds with the largest unit that divides them exactly.
pub fn format_duration_ms(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    for (unit, m) in [("h", 3_600_000u64), ("m", 60_000), ("s", 1000)] {
        if ms.is_multiple_of(m) {
            return format!("{}{unit}", ms / m);
        }
    }
    format!("{ms}ms")
}

/// Formats bytes with the largest unit (binary first, then decimal) that divides them exactly.
pub fn format_bytes(b: u64) -> String {
    if b == 0 {
        return "0B".into();
    }
    for (unit, m) in [("Ti", 1u64 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20)] {
        if b.is_multiple_of(m) {
            return format!("{}{unit}", b / m);
        }
    }
    for (unit, m) in [
        ("TB", 1_000_000_000_000u64),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("kB", 1000),
    ] {
        if b.is_multiple_of(m) {
            return format!("{}{unit}", b / m);
        }
    }
    if b.is_multiple_of(1024) {
        return format!("{}Ki", b / 1024);
    }
    format!("{b}B")
}

macro_rules! unit_type {
    ($(#[$doc:meta])* $name:ident, $parse:path, $format:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $parse(s).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let format: fn(u64) -> String = $format;
                f.write_str(&format(self.0))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $parse(v).map($name).map_err(E::custom)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$name, E> {
                        $parse(&v.to_string()).map($name).map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$name, E> {
                        if v < 0 {
                            return Err(E::custom(format!("{v} is negative; expected {}", $what)));
                        }
                        self.visit_u64(v as u64)
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$name, E> {
                        if v < 0.0 || !v.is_finite() {
                            return Err(E::custom(format!("{v} is not valid; expected {}", $what)));
                        }
                        $parse(&format!("{v}")).map($name).map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

unit_type!(
    /// A duration in milliseconds, written `"90s"`, `"6m"`, `"1h30m"`.
    Duration,
    parse_duration_ms,
    format_duration_ms,
    "a duration string such as \"90s\", \"6m\" or \"1h30m\""
);
unit_type!(
    /// A size in bytes, written `"3.1GB"`, `"512MB"`, `"1Gi"`.
    Bytes,
    parse_bytes,
    format_bytes,
    "a size string such as \"3.1GB\", \"512MB\" or \"1Gi\""
);
unit_type!(
    /// A rate in bytes per second, written `"100MB/s"` or `"1Gbit/s"`.
    Rate,
    parse_rate,
    |b| format!("{}/s", format_bytes(b)),
    "a rate string such as \"100MB/s\" or \"1Gbit/s\""
);
unit_type!(
    /// CPU in millicores, written `"500m"`, `"2"`, `"1.5"`.
    Cpu,
    parse_cpu_millis,
    |m| if m % 1000 == 0 { format!("{}", m / 1000) } else { format!("{m}m") },
    "a CPU quantity such as \"500m\", \"2\" or \"1.5\""
);

impl Duration {
    pub fn ms(self) -> u64 {
        self.0
    }
    pub fn secs(s: u64) -> Self {
        Duration(s * 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_to_exact_milliseconds() {
        // 90 s = 90,000 ms; 6 min = 360,000 ms; 1 h 30 min = 5,400,000 ms.
        assert_eq!(parse_duration_ms("90s"), Ok(90_000));
        assert_eq!(parse_duration_ms("6m"), Ok(360_000));
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("0.5s"), Ok(500));
        assert_eq!(parse_duration_ms("250ms"), Ok(250));
        assert_eq!(parse_duration_ms("1d"), Ok(86_400_000));
        assert!(
            parse_duration_ms("90")
                .unwrap_err()
                .contains("needs a unit")
        );
        assert!(
            parse_duration_ms("5y")
                .unwrap_err()
                .contains("unknown duration unit")
        );
        assert!(parse_duration_ms("-5s").is_err());
    }

    #[test]
    fn sizes_use_decimal_and_binary_prefixes_exactly() {
        // 3.1 GB = 3.1 × 10^9 bytes exactly; 1 Gi = 2^30 = 1,073,741,824 bytes.
        assert_eq!(parse_bytes("3.1GB"), Ok(3_100_000_000));
        assert_eq!(parse_bytes("1Gi"), Ok(1_073_741_824));
        assert_eq!(parse_bytes("1GiB"), Ok(1_073_741_824));
        assert_eq!(parse_bytes("512MB"), Ok(512_000_000));
        assert_eq!(parse_bytes("100Mi"), Ok(104_857_600));
        assert_eq!(parse_bytes("7"), Ok(7));
        assert!(parse_bytes("3 parsecs").is_err());
    }

    #[test]
    fn rates_accept_bytes_and_bits_per_second() {
        // 100 MB/s = 10^8 B/s; 1 Gbit/s = 10^9 / 8 = 125,000,000 B/s.
        assert_eq!(parse_rate("100MB/s"), Ok(100_000_000));
        assert_eq!(parse_rate("1Gbit/s"), Ok(125_000_000));
        assert_eq!(parse_rate("800Mbps"), Ok(100_000_000));
        assert_eq!(parse_rate("50MiB/s"), Ok(52_428_800));
        assert!(parse_rate("100MB").is_err());
    }

    #[test]
    fn cpu_parses_to_millicores() {
        assert_eq!(parse_cpu_millis("500m"), Ok(500));
        assert_eq!(parse_cpu_millis("2"), Ok(2000));
        assert_eq!(parse_cpu_millis("1.5"), Ok(1500));
        assert!(parse_cpu_millis("2 cores").is_err());
    }

    #[test]
    fn canonical_strings_read_back_to_the_same_value() {
        for b in [0u64, 1, 1000, 1 << 30, 3_100_000_000, 123_456_789] {
            assert_eq!(parse_bytes(&format_bytes(b)), Ok(b));
        }
        for ms in [0u64, 1, 1500, 60_000, 5_400_000] {
            assert_eq!(parse_duration_ms(&format_duration_ms(ms)), Ok(ms));
        }
    }
}
