//! Access tokens.
//!
//! - **Our own:** HS256 JWTs with the algorithm pinned and `exp`, `iat`, `iss`, `aud` and `sub`
//!   required and checked. Each names its key in `kid` (a digest of the secret, never the
//!   secret). Rotating the secret keeps the old one as the previous key
//!   (`MOTCUA_JWT_PREVIOUS_SECRET`): its tokens verify until they expire, new tokens use the
//!   new key. A token without `kid` (issued before key ids) is tried with the current key.
//! - **An external identity provider's** (e.g. the national VNeID), when its public key is
//!   configured: RS256 or EdDSA, chosen by the key and pinned, with its issuer and audience
//!   checked. Its `sub` is the citizen's 12-digit national id (its `name`, the full name).
//!
//! Anything else (another algorithm, `alg: none`, an HMAC token signed with the provider's
//! public key, an unknown `kid`, an oversized token) is refused.

use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::Id;

pub const ISSUER: &str = "motcua";
pub const AUDIENCE: &str = "motcua-api";
/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// Seconds of clock difference tolerated on `exp`, `nbf` and `iat`.
const LEEWAY: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// The account's token generation when issued; a token without it (issued before
    /// generations) is of the first.
    #[serde(default)]
    pub generation: i32,
}

/// The claims read from an identity provider's token.
#[derive(Debug, Deserialize)]
struct ProviderClaims {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    iat: Option<i64>,
}

/// Whom a valid token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// One of our accounts, with the generation of its tokens that this one was issued in.
    Account { id: Id, generation: i32 },
    /// A citizen vouched for by the identity provider.
    Citizen {
        national_id: String,
        name: Option<String>,
    },
}

/// An external identity provider whose tokens are accepted.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Its public key, PEM (RSA or Ed25519).
    pub public_key_pem: String,
    pub issuer: String,
    pub audience: String,
}

#[derive(Clone)]
struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Key {
    fn of(secret: &[u8]) -> Key {
        Key {
            kid: hex::encode(&Sha256::digest(secret)[..8]),
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

#[derive(Clone)]
struct External {
    decoding: DecodingKey,
    validation: Validation,
}

/// The keys that sign and verify access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    current: Key,
    previous: Option<Key>,
    validation: Validation,
    ttl_seconds: i64,
    external: Option<External>,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY;
        TokenKeys {
            current: Key::of(secret),
            previous: None,
            validation,
            ttl_seconds,
            external: None,
        }
    }

    /// Keeps verifying the tokens of the secret used before the current one.
    pub fn with_previous(mut self, secret: &[u8]) -> Self {
        self.previous = Some(Key::of(secret));
        self
    }

    /// Accepts the tokens of an identity provider.
    pub fn with_provider(mut self, provider: &Provider) -> Result<Self, String> {
        let pem = provider.public_key_pem.as_bytes();
        let (decoding, algorithm) = match DecodingKey::from_rsa_pem(pem) {
            Ok(key) => (key, Algorithm::RS256),
            Err(_) => (
                DecodingKey::from_ed_pem(pem).map_err(|e| {
                    format!("the identity provider's key is not RSA or Ed25519 PEM: {e}")
                })?,
                Algorithm::EdDSA,
            ),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[provider.issuer.as_str()]);
        validation.set_audience(&[provider.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY;
        self.external = Some(External {
            decoding,
            validation,
        });
        Ok(self)
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    /// Issues a token for an account, in its current token generation, signed with the
    /// current key.
    pub fn issue(&self, account: Id, generation: i32) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: account.to_string(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_seconds,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
            generation,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current.kid.clone());
        encode(&header, &claims, &self.current.encoding).expect("HS256 signing cannot fail")
    }

    /// Whom a valid token names; `None` for any invalid token.
    pub fn verify(&self, token: &str) -> Option<Subject> {
        if token.len() > MAX_TOKEN_BYTES {
            return None;
        }
        let header = decode_header(token).ok()?;
        let issued_in_future = |iat: i64| iat > chrono::Utc::now().timestamp() + LEEWAY as i64;
        match header.alg {
            Algorithm::HS256 => {
                let key = match header.kid.as_deref() {
                    None => &self.current,
                    Some(kid) if kid == self.current.kid => &self.current,
                    Some(kid) => self.previous.as_ref().filter(|p| p.kid == kid)?,
                };
                let data = decode::<Claims>(token, &key.decoding, &self.validation).ok()?;
                if issued_in_future(data.claims.iat) {
                    return None;
                }
                let generation = data.claims.generation;
                let id = data.claims.sub.parse().ok()?;
                Some(Subject::Account { id, generation })
            }
            alg => {
                let external = self.external.as_ref()?;
                if !external.validation.algorithms.contains(&alg) {
                    return None;
                }
                let data =
                    decode::<ProviderClaims>(token, &external.decoding, &external.validation)
                        .ok()?;
                if data.claims.iat.is_some_and(issued_in_future) {
                    return None;
                }
                let id = data.claims.sub;
                (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())).then(|| {
                    Subject::Citizen {
                        national_id: id,
                        name: data.claims.name.filter(|n| !n.trim().is_empty()),
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"the-current-secret-of-at-least-32-bytes";
    const OLD: &[u8] = b"the-previous-secret-of-at-least-32-bytes";

    #[test]
    fn a_rotated_key_keeps_its_tokens_valid_until_they_expire() {
        let id = Id::new();
        let old = TokenKeys::new(OLD, 600);
        let token = old.issue(id, 0);
        let rotated = TokenKeys::new(SECRET, 600).with_previous(OLD);
        assert_eq!(
            rotated.verify(&token),
            Some(Subject::Account { id, generation: 0 })
        );
        // The token carries the account's token generation.
        assert_eq!(
            rotated.verify(&rotated.issue(id, 3)),
            Some(Subject::Account { id, generation: 3 })
        );
        // Without the previous key, its tokens are unknown.
        assert_eq!(TokenKeys::new(SECRET, 600).verify(&token), None);
        // The header names the key, never the secret.
        let header = decode_header(rotated.issue(id, 0)).unwrap();
        assert_eq!(header.kid.as_deref().map(str::len), Some(16));
        assert!(!rotated
            .issue(id, 0)
            .contains(std::str::from_utf8(SECRET).unwrap()));
    }
}
