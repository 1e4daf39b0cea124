//! Kubernetes resource quantities: parsing, checking and the one canonical
//! spelling of each value.
//!
//! The canonical form follows apimachinery's `Quantity.String()`: a value
//! written with a binary suffix keeps the largest binary suffix that divides
//! it (`1024Mi` → `1Gi`) unless it is below 1024 or fractional, and every
//! other value takes the largest decimal suffix that leaves a whole number
//! (`1000m` → `1`, `0.5` → `500m`). Writing what the API server would write
//! back is what lets `archctl diff` see no false changes.

use std::fmt;

/// How the value was written, which decides how it is written back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    BinarySI,
    DecimalSI,
    DecimalExponent,
}

/// An exact quantity, in billionths of the base unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    pub nanos: i128,
    pub format: Format,
}

/// Why a string is not a quantity, with the likely intended spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantityError {
    pub message: String,
    pub suggestion: Option<String>,
}

/// The canonical spelling.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

const NANO: i128 = 1_000_000_000;

impl Quantity {
    /// Parses a quantity as Kubernetes does.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        parse_exact(input)
            .ok_or_else(|| QuantityError {
                message: format!("`{input}` is not a Kubernetes quantity"),
                suggestion: suggest(input),
            })
            .and_then(|q| {
                q.ok_or_else(|| QuantityError {
                    message: format!("`{input}` is out of range (more precise than 1n or larger than 2^63)"),
                    suggestion: None,
                })
            })
    }

    /// Whole base units, rounded up (what the scheduler counts).
    pub fn ceil_units(&self) -> i128 {
        (self.nanos + NANO - 1).div_euclid(NANO)
    }

    /// The value in base units as a float, for reports.
    pub fn as_f64(&self) -> f64 {
        self.nanos as f64 / NANO as f64
    }

    /// The same value with the plainest format that spells it the same
    /// way, so that two quantities are equal exactly when their canonical
    /// spellings are (`0` is `0` whatever suffix it was written with).
    pub fn normalized(self) -> Quantity {
        let decimal = Quantity { nanos: self.nanos, format: Format::DecimalSI };
        if decimal.canonical() == self.canonical() { decimal } else { self }
    }

    /// A whole number of base units (a GPU count).
    pub fn units(n: u32) -> Quantity {
        Quantity { nanos: i128::from(n) * NANO, format: Format::DecimalSI }
    }

    /// The canonical spelling.
    pub fn canonical(&self) -> String {
        let n = self.nanos;
        if n == 0 {
            return "0".to_string();
        }
        if self.format == Format::BinarySI && n % NANO == 0 && !(-1024 * NANO < n && n < 1024 * NANO) {
            let mut units = n / NANO;
            let mut i = 0;
            while i < 6 && units % 1024 == 0 {
                units /= 1024;
                i += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][i];
            return format!("{units}{suffix}");
        }
        // decimal: the largest power of 1000 (from nano up) that divides
        let mut mantissa = n;
        let mut exp3 = -3; // nanos are 10^-9
        while exp3 < 6 && mantissa % 1000 == 0 {
            mantissa /= 1000;
            exp3 += 1;
        }
        if self.format == Format::DecimalExponent {
            return if exp3 == 0 { mantissa.to_string() } else { format!("{mantissa}e{}", exp3 * 3) };
        }
        let suffix = match exp3 {
            -3 => "n",
            -2 => "u",
            -1 => "m",
            0 => "",
            1 => "k",
            2 => "M",
            3 => "G",
            4 => "T",
            5 => "P",
            _ => "E",
        };
        format!("{mantissa}{suffix}")
    }
}

/// `None`: not the grammar; `Some(None)`: the grammar, but out of range.
fn parse_exact(input: &str) -> Option<Option<Quantity>> {
    let s = input;
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(num_len);
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return Some(None);
    }
    let mantissa: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let scale = frac_part.len() as i32;

    let (format, pow10, pow1024) = match suffix {
        "Ki" => (Format::BinarySI, 0, 1),
        "Mi" => (Format::BinarySI, 0, 2),
        "Gi" => (Format::BinarySI, 0, 3),
        "Ti" => (Format::BinarySI, 0, 4),
        "Pi" => (Format::BinarySI, 0, 5),
        "Ei" => (Format::BinarySI, 0, 6),
        "n" => (Format::DecimalSI, -9, 0),
        "u" => (Format::DecimalSI, -6, 0),
        "m" => (Format::DecimalSI, -3, 0),
        "" => (Format::DecimalSI, 0, 0),
        "k" => (Format::DecimalSI, 3, 0),
        "M" => (Format::DecimalSI, 6, 0),
        "G" => (Format::DecimalSI, 9, 0),
        "T" => (Format::DecimalSI, 12, 0),
        "P" => (Format::DecimalSI, 15, 0),
        "E" => (Format::DecimalSI, 18, 0),
        other => {
            let exp = other.strip_prefix(['e', 'E'])?;
            let e: i32 = exp.parse().ok()?;
            if !(-30..=30).contains(&e) {
                return Some(None);
            }
            (Format::DecimalExponent, e, 0)
        }
    };
    // value = mantissa * 10^(pow10 - scale) * 1024^pow1024, in nanos: * 10^9
    let mut value = mantissa;
    for _ in 0..pow1024 {
        value = match value.checked_mul(1024) {
            Some(v) => v,
            None => return Some(None),
        };
    }
    let exp10 = pow10 - scale + 9;
    if exp10 >= 0 {
        for _ in 0..exp10 {
            value = match value.checked_mul(10) {
                Some(v) => v,
                None => return Some(None),
            };
        }
    } else {
        for _ in 0..(-exp10) {
            if value % 10 != 0 {
                return Some(None);
            }
            value /= 10;
        }
    }
    // apimachinery caps quantities at what an int64 of base units holds
    if value / NANO > i64::MAX as i128 {
        return Some(None);
    }
    Some(Some(Quantity { nanos: if negative { -value } else { value }, format }))
}

/// The spelling the user most likely meant: `512MB` → `512Mi`.
fn suggest(input: &str) -> Option<String> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let num_len =
        compact.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(compact.len());
    let (number, suffix) = compact.split_at(num_len);
    if number.is_empty() {
        return None;
    }
    let fixed = match suffix.to_ascii_lowercase().as_str() {
        // decimal units stay decimal: 500GB is exactly 500G, not 500Gi
        "kb" | "kbyte" | "kbytes" => "k",
        "mb" | "mbyte" | "mbytes" => "M",
        "gb" | "g" | "gbyte" | "gbytes" => "G",
        "tb" | "t" => "T",
        "pb" => "P",
        "kib" | "ki" => "Ki",
        "mib" => "Mi",
        "gib" | "gi" => "Gi",
        "tib" | "ti" => "Ti",
        "pib" | "pi" => "Pi",
        "mi" => "Mi",
        "millicores" | "millicore" | "millis" | "milli" => "m",
        "cores" | "core" | "cpu" | "cpus" => "",
        _ => return None,
    };
    let candidate = format!("{number}{fixed}");
    (candidate != input && parse_exact(&candidate).flatten().is_some()).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Quantity::parse(s).unwrap().canonical()
    }

    #[test]
    fn canonical_forms_match_the_api_server() {
        assert_eq!(canon("1000m"), "1");
        assert_eq!(canon("1024Mi"), "1Gi");
        assert_eq!(canon("2048Ki"), "2Mi");
        assert_eq!(canon("1536Mi"), "1536Mi");
        assert_eq!(canon("0.5Gi"), "512Mi");
        assert_eq!(canon("0.5Ki"), "512");
        assert_eq!(canon("1.5"), "1500m");
        assert_eq!(canon("0.5"), "500m");
        assert_eq!(canon("250m"), "250m");
        assert_eq!(canon("2000"), "2k");
        assert_eq!(canon("100M"), "100M");
        assert_eq!(canon("1e3"), "1e3");
        assert_eq!(canon("0"), "0");
        assert_eq!(canon("0Gi"), "0");
        assert_eq!(canon("1G"), "1G");
        assert_eq!(canon("+2"), "2");
        assert_eq!(canon("-1"), "-1");
        assert_eq!(canon("1Ei"), "1Ei");
    }

    #[test]
    fn equal_values_compare_equal() {
        assert_eq!(Quantity::parse("1Gi").unwrap().nanos, Quantity::parse("1024Mi").unwrap().nanos);
        assert_eq!(Quantity::parse("1").unwrap().nanos, Quantity::parse("1000m").unwrap().nanos);
    }

    #[test]
    fn rejects_what_kubernetes_rejects_and_suggests_a_fix() {
        let e = Quantity::parse("512MB").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("512M"));
        assert_eq!(Quantity::parse("2 Gi").unwrap_err().suggestion.as_deref(), Some("2Gi"));
        assert_eq!(Quantity::parse("500mi").unwrap_err().suggestion.as_deref(), Some("500Mi"));
        // decimal stays decimal, exactly
        assert_eq!(Quantity::parse("500GB").unwrap_err().suggestion.as_deref(), Some("500G"));
        assert_eq!(Quantity::parse("2 GiB").unwrap_err().suggestion.as_deref(), Some("2Gi"));
        for bad in ["", "Gi", "1..2", "1.2.3", "abc", "1Gb", "--1", "1e", "0x10"] {
            assert!(Quantity::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn out_of_range_values_are_errors_not_panics() {
        assert!(Quantity::parse("1n").is_ok());
        assert!(Quantity::parse("0.1n").is_err());
        assert!(Quantity::parse("99999999999999999999999999999999999Ei").is_err());
        assert!(Quantity::parse("1e99").is_err());
        assert!(Quantity::parse("16Ei").is_err());
    }

    #[test]
    fn ceil_units_rounds_up() {
        assert_eq!(Quantity::parse("1500m").unwrap().ceil_units(), 2);
        assert_eq!(Quantity::parse("2").unwrap().ceil_units(), 2);
    }
}
