//! Password hashing with argon2id (the crate's defaults: 19 MiB, two passes).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes a password into a PHC string.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Checks a password against a PHC string; a malformed hash never verifies.
/// The stored hash of an account that has no password (a citizen signed in by the identity
/// provider): not a PHC string, so no password ever verifies against it.
pub const NO_PASSWORD: &str = "!no-password";

pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of nothing anyone knows, verified against when the username is unknown so that the
/// answer takes as long as for a known one.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no account has this password 7f3a"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_and_verifies() {
        let h = super::hash("Matkhau2026!");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("Matkhau2026!", &h));
        assert!(!super::verify("matkhau2026!", &h));
        assert!(!super::verify("x", "not a hash"));
    }
}
