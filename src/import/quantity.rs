//! Kubernetes resource quantities (`"3860m"`, `"16393872Ki"`, `"1.5Gi"`, `"129e6"`) as the API
//! server reads them.
//!
//! Owns: the `resource.Quantity` grammar of k8s.io/apimachinery (`<number><suffix>` with binary
//! suffixes Ki…Ei, decimal n u m k M G T P E, or a decimal exponent `e<int>`) and its rounding
//! (values are rounded *up* to the unit asked for, as `Quantity.MilliValue` and `Value` do).
//! Does not own: the scenario's own unit strings (`scenario::units`), which are a different,
//! human-oriented grammar; quantities are converted to plain numbers here and the scenario
//! types print them canonically.

/// Parses a quantity into thousandths of its base unit (millicores for CPU, millibytes for
/// memory), rounded up.
pub fn parse_milli(s: &str) -> Result<u128, String> {
    let bad = |why: &str| format!("\"{s}\" is not a Kubernetes quantity ({why})");
    let t = s.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.starts_with('-') {
        return Err(bad("negative"));
    }
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, suffix) = t.split_at(end);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(bad("a number is missing"));
    }
    if frac.contains('.') {
        return Err(bad("malformed number"));
    }
    if int.len() + frac.len() > 30 {
        return Err(bad("too many digits"));
    }
    let digits = format!("{int}{frac}");
    let mantissa: u128 = digits.parse().map_err(|_| bad("malformed number"))?;
    // value = mantissa × num / den, with the fraction's digits moved into den.
    let mut num: u128 = 1;
    let mut den: u128 = 10u128.pow(frac.len() as u32);
    let pow10 = |e: u32| 10u128.checked_pow(e).ok_or_else(|| bad("too large"));
    match suffix {
        "" => {}
        "Ki" => num = 1 << 10,
        "Mi" => num = 1 << 20,
        "Gi" => num = 1 << 30,
        "Ti" => num = 1 << 40,
        "Pi" => num = 1 << 50,
        "Ei" => num = 1 << 60,
        "n" => den *= pow10(9)?,
        "u" => den *= pow10(6)?,
        "m" => den *= 1000,
        "k" => num = pow10(3)?,
        "M" => num = pow10(6)?,
        "G" => num = pow10(9)?,
        "T" => num = pow10(12)?,
        "P" => num = pow10(15)?,
        "E" => num = pow10(18)?,
        other => {
            let exp = other
                .strip_prefix(['e', 'E'])
                .and_then(|e| e.parse::<i32>().ok())
                .ok_or_else(|| {
                    bad(
                        "unknown suffix; expected Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, \
                         P, E or an exponent such as e6",
                    )
                })?;
            if exp.unsigned_abs() > 30 {
                return Err(bad("exponent out of range"));
            }
            if exp >= 0 {
                num = pow10(exp as u32)?;
            } else {
                den = den
                    .checked_mul(pow10(exp.unsigned_abs())?)
                    .ok_or_else(|| bad("too small"))?;
            }
        }
    }
    let top = mantissa
        .checked_mul(num)
        .and_then(|v| v.checked_mul(1000))
        .ok_or_else(|| bad("too large"))?;
    Ok(top.div_ceil(den))
}

fn to_u64(v: u128, s: &str) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("\"{s}\" is too large"))
}

/// CPU in millicores, rounded up (`"3860m"` → 3860, `"2"` → 2000, `"0.1m"` → 1).
pub fn cpu_millis(s: &str) -> Result<u64, String> {
    to_u64(parse_milli(s)?, s)
}

/// A size in bytes, rounded up (`"16393872Ki"` → 16,787,324,928).
pub fn bytes(s: &str) -> Result<u64, String> {
    to_u64(parse_milli(s)?.div_ceil(1000), s)
}

/// A plain count such as `pods: "110"`, rounded up.
pub fn count(s: &str) -> Result<u64, String> {
    bytes(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities_become_millicores() {
        assert_eq!(cpu_millis("3860m"), Ok(3860));
        assert_eq!(cpu_millis("4"), Ok(4000));
        assert_eq!(cpu_millis("1.5"), Ok(1500));
        assert_eq!(cpu_millis("+2"), Ok(2000));
        // Kubernetes rounds sub-millicore values up: 0.1m is 1m.
        assert_eq!(cpu_millis("0.1m"), Ok(1));
        assert_eq!(cpu_millis("100000u"), Ok(100));
        // One suffix only: an exponent or an SI suffix, not both.
        assert_eq!(cpu_millis("1e3"), Ok(1_000_000));
        assert!(cpu_millis("1e3m").is_err());
        assert!(cpu_millis("-1").is_err());
        assert!(cpu_millis("two").is_err());
        assert!(cpu_millis("2 cores").is_err());
    }

    #[test]
    fn memory_quantities_become_bytes() {
        // 16393872 Ki = 16393872 × 1024 = 16,787,324,928 bytes.
        assert_eq!(bytes("16393872Ki"), Ok(16_787_324_928));
        assert_eq!(bytes("1Gi"), Ok(1 << 30));
        assert_eq!(bytes("1.5Gi"), Ok(3 << 29));
        assert_eq!(bytes("129e6"), Ok(129_000_000));
        assert_eq!(bytes("129M"), Ok(129_000_000));
        assert_eq!(bytes("128974848"), Ok(128_974_848));
        assert_eq!(bytes("1k"), Ok(1000));
        // 500 millibytes round up to one byte.
        assert_eq!(bytes("500m"), Ok(1));
        assert!(bytes("1KB").is_err());
        assert!(bytes("").is_err());
    }
}
