//! Identifiers with a national format, as newtypes that only parse from valid text:
//! the unit's electronic identifier (`000.00.00.H30`), the procedure's national code
//! (`1.001234.000.00.00.H30`) and the citizen's 12-digit national id (căn cước).

use std::fmt;

/// A unit's electronic identifier code, `XXX.XX.XX.Ynn`: three, two and two digits, then a
/// letter and two digits (the province), e.g. `000.00.00.H30`. Lower-case letters are accepted
/// and stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(input: &str) -> Result<UnitCode, String> {
        let code = input.trim().to_ascii_uppercase();
        if is_unit_code(&code) {
            Ok(UnitCode(code))
        } else {
            Err(format!(
                "{input:?} is not a unit code of the form 000.00.00.H30"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_unit_code(code: &str) -> bool {
    let parts: Vec<&str> = code.split('.').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    parts.len() == 4
        && digits(parts[0], 3)
        && digits(parts[1], 2)
        && digits(parts[2], 2)
        && parts[3].len() == 3
        && parts[3].as_bytes()[0].is_ascii_uppercase()
        && digits(&parts[3][1..], 2)
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A procedure's code in the national database: a one-digit group and a six-digit number
/// (`1.001234`), optionally followed by the code of the unit that applies it
/// (`1.001234.000.00.00.H30`) and by a two-digit variant, such as the online variant
/// (`1.001234.000.00.00.H30.02`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProcedureCode(String);

impl ProcedureCode {
    pub fn parse(input: &str) -> Result<ProcedureCode, String> {
        let code = input.trim().to_ascii_uppercase();
        let error = || {
            format!("{input:?} is not a procedure code such as 1.001234 or 1.001234.000.00.00.H30")
        };
        let parts: Vec<&str> = code.split('.').collect();
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if parts.len() < 2 || !digits(parts[0], 1) || !digits(parts[1], 6) {
            return Err(error());
        }
        let ok = match parts.len() {
            2 => true,
            6 => is_unit_code(&parts[2..6].join(".")),
            7 => is_unit_code(&parts[2..6].join(".")) && digits(parts[6], 2),
            _ => false,
        };
        if ok {
            Ok(ProcedureCode(code))
        } else {
            Err(error())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProcedureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A citizen's national id (số định danh cá nhân, printed on the căn cước card): exactly twelve
/// ASCII digits, the first three a province code from 001 to 096.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NationalId(String);

impl NationalId {
    pub fn parse(input: &str) -> Result<NationalId, String> {
        let id = input.trim();
        let error = || format!("{input:?} is not a 12-digit national id");
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let province: u32 = id[..3].parse().map_err(|_| error())?;
        if !(1..=96).contains(&province) {
            return Err(format!(
                "{input:?} does not start with a province code (001–096)"
            ));
        }
        Ok(NationalId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Vietnamese phone number: `0` or `+84` followed by nine digits; spaces, dots and dashes
/// between digits are dropped. Stored in the `0…` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<PhoneNumber, String> {
        let compact: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect();
        let national = match compact.strip_prefix("+84") {
            Some(rest) => format!("0{rest}"),
            None => compact,
        };
        if national.len() == 10
            && national.starts_with('0')
            && national.bytes().all(|b| b.is_ascii_digit())
        {
            Ok(PhoneNumber(national))
        } else {
            Err(format!(
                "{input:?} is not a Vietnamese phone number such as 0912345678"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_codes() {
        let cases = [
            ("000.00.00.H30", Some("000.00.00.H30")),
            ("000.00.12.H49", Some("000.00.12.H49")),
            (" 000.00.04.h40 ", Some("000.00.04.H40")),
            ("000.00.00.30", None),
            ("00.00.00.H30", None),
            ("000.00.00.H3", None),
            ("000.00.00.HH0", None),
            ("000-00-00-H30", None),
            ("", None),
            ("000.00.00.H30.1", None),
        ];
        for (input, expected) in cases {
            let parsed = UnitCode::parse(input).ok();
            assert_eq!(parsed.as_ref().map(|c| c.as_str()), expected, "{input:?}");
        }
    }

    #[test]
    fn procedure_codes() {
        let cases = [
            ("1.001234", true),
            ("1.001234.000.00.00.H30", true),
            ("2.000908.000.00.00.h41", true),
            ("1.001234.000.00.00.H30.02", true),
            ("1.00123", false),
            ("12.001234", false),
            ("1.001234.000.00.H30", false),
            ("1.001234.000.00.00.H30.2", false),
            ("1.001234.000.00.00.H30.02.01", false),
            ("x.001234", false),
        ];
        for (input, ok) in cases {
            assert_eq!(ProcedureCode::parse(input).is_ok(), ok, "{input:?}");
        }
        assert_eq!(
            ProcedureCode::parse("2.000908.000.00.00.h41")
                .unwrap()
                .as_str(),
            "2.000908.000.00.00.H41"
        );
    }

    #[test]
    fn phone_numbers() {
        let cases = [
            ("0912345678", Some("0912345678")),
            ("+84912345678", Some("0912345678")),
            ("091 234 5678", Some("0912345678")),
            ("091234567", None),
            ("1912345678", None),
            ("+8491234567a", None),
        ];
        for (input, expected) in cases {
            let parsed = PhoneNumber::parse(input).ok();
            assert_eq!(parsed.as_ref().map(|p| p.as_str()), expected, "{input:?}");
        }
    }

    #[test]
    fn national_ids() {
        let cases = [
            ("001099012345", true),
            ("096188000001", true),
            (" 079203004567 ", true),
            ("000099012345", false),
            ("097099012345", false),
            ("00109901234", false),
            ("0010990123456", false),
            ("00109901234a", false),
            ("００１０９９０１２３４５", false),
        ];
        for (input, ok) in cases {
            assert_eq!(NationalId::parse(input).is_ok(), ok, "{input:?}");
        }
    }
}
