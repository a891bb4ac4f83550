//! Ed25519 signatures of electronic results: each unit's key pair, kept as hex by the server.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// A new key pair: (public key, secret key), hex-encoded.
pub fn generate() -> (String, String) {
    let secret: [u8; 32] = rand::random();
    let key = SigningKey::from_bytes(&secret);
    (
        hex::encode(key.verifying_key().to_bytes()),
        hex::encode(secret),
    )
}

/// Signs `message` with a hex secret key; the signature is hex.
pub fn sign(secret_hex: &str, message: &[u8]) -> Option<String> {
    let secret: [u8; 32] = hex::decode(secret_hex).ok()?.try_into().ok()?;
    Some(hex::encode(
        SigningKey::from_bytes(&secret).sign(message).to_bytes(),
    ))
}

/// Whether `signature_hex` is the signature of `message` by the hex public key.
pub fn verify(public_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let parsed = || -> Option<(VerifyingKey, Signature)> {
        let public: [u8; 32] = hex::decode(public_hex).ok()?.try_into().ok()?;
        let signature: [u8; 64] = hex::decode(signature_hex).ok()?.try_into().ok()?;
        Some((
            VerifyingKey::from_bytes(&public).ok()?,
            Signature::from_bytes(&signature),
        ))
    };
    parsed().is_some_and(|(key, signature)| key.verify(message, &signature).is_ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn signs_and_verifies() {
        let (public, secret) = super::generate();
        let signature = super::sign(&secret, b"motcua-result:A-KQ1:abc").unwrap();
        assert!(super::verify(
            &public,
            b"motcua-result:A-KQ1:abc",
            &signature
        ));
        assert!(!super::verify(
            &public,
            b"motcua-result:A-KQ1:abd",
            &signature
        ));
        let (other, _) = super::generate();
        assert!(!super::verify(
            &other,
            b"motcua-result:A-KQ1:abc",
            &signature
        ));
        assert!(!super::verify(&public, b"x", "zz"));
    }
}
