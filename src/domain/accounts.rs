//! Who an account is: its role, whether the role needs a unit, and the password rule.

string_enum! {
    /// What an account may do. Officials (reception, specialist, leader) belong to one unit.
    pub enum Role {
        /// Manages units, accounts, the catalogue, holidays and fee policies.
        Admin => "admin",
        /// Officer at the one-stop desk (cán bộ một cửa).
        Reception => "reception",
        /// Specialist (chuyên viên) of a processing unit.
        Specialist => "specialist",
        /// Leader (lãnh đạo) of a unit: approves and signs.
        Leader => "leader",
        /// Reads reports (Văn phòng UBND, Sở Nội vụ).
        Supervisor => "supervisor",
        /// A citizen or business; registers themselves.
        Citizen => "citizen",
    }
}

impl Role {
    /// Reception, specialists and leaders work for one unit and must have it.
    pub fn requires_unit(self) -> bool {
        matches!(self, Role::Reception | Role::Specialist | Role::Leader)
    }

    /// Every role but citizen is an official's.
    pub fn is_official(self) -> bool {
        self != Role::Citizen
    }
}

/// The shortest and longest password accepted.
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

/// The minimum strength of a password: 10 to 128 characters, at least one letter and one digit,
/// at least 5 distinct characters, and not containing the username. Returns what is wrong.
pub fn check_password(password: &str, username: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < PASSWORD_MIN {
        return Err("must have at least 10 characters");
    }
    if length > PASSWORD_MAX {
        return Err("must have at most 128 characters");
    }
    if !password.chars().any(char::is_alphabetic) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err("must contain letters and digits");
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err("must not repeat a few characters");
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("must not contain the username");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Reception.requires_unit());
        assert!(!Role::Supervisor.requires_unit());
        assert!(!Role::Citizen.is_official());
    }

    #[test]
    fn password_rule() {
        let cases = [
            ("Matkhau2026!", "001099012345", Ok(())),
            ("short1", "u", Err("must have at least 10 characters")),
            (
                "onlyletterslong",
                "u",
                Err("must contain letters and digits"),
            ),
            ("1234567890123", "u", Err("must contain letters and digits")),
            ("aaaa1111aaaa", "u", Err("must not repeat a few characters")),
            (
                "x001099012345y",
                "001099012345",
                Err("must not contain the username"),
            ),
            ("mậtkhẩu2026", "citizen", Ok(())),
        ];
        for (password, username, expected) in cases {
            assert_eq!(check_password(password, username), expected, "{password}");
        }
        assert!(check_password(&"a1".repeat(65), "u").is_err());
    }
}
