//! Tokens beyond the basic refusals of `auth.rs` (alg none, expired, not yet valid, wrong issuer
//! or audience, another key, oversized, a disabled account): key ids and rotation, algorithm
//! confusion, and the tokens of an external identity provider, mapped to citizens.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::common::{TestApp, JWT_SECRET};

const PROVIDER: &str = "https://sso.dichvucong.gov.vn";
const PUBLIC_PEM: &str = include_str!("../fixtures/idp-ed25519-public.pem");
const PRIVATE_PEM: &str = include_str!("../fixtures/idp-ed25519-private.pem");

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn signed(header: Header, claims: &serde_json::Value, key: &EncodingKey) -> String {
    encode(&header, claims, key).unwrap()
}

fn with_provider() -> TestApp {
    TestApp::spawn_with(|c| {
        c.identity_provider = Some(motcua::auth::jwt::Provider {
            public_key_pem: PUBLIC_PEM.into(),
            issuer: PROVIDER.into(),
            audience: "motcua-api".into(),
        })
    })
}

fn provider_token(sub: &str, iss: &str, exp: i64) -> String {
    let key = EncodingKey::from_ed_pem(PRIVATE_PEM.as_bytes()).unwrap();
    let claims = json!({"sub": sub, "name": "Nguyễn Thị Vneid", "iat": now(), "exp": exp,
        "iss": iss, "aud": "motcua-api"});
    signed(Header::new(Algorithm::EdDSA), &claims, &key)
}

#[test]
fn the_identity_providers_tokens_sign_in_citizens_by_national_id() {
    let app = with_provider();
    // A citizen registered here is the one the provider's subject names.
    let registered = app.citizen("001099012345");
    let own = app.get("/api/v1/me", Some(&registered)).ok(200)["id"].clone();
    let token = provider_token("001099012345", PROVIDER, now() + 600);
    let me = app.get("/api/v1/me", Some(&token)).ok(200).clone();
    assert_eq!(me["id"], own);
    assert_eq!(me["role"], "citizen");
    // An unknown national id becomes a citizen account on its first request, once.
    let fresh = provider_token("079203004567", PROVIDER, now() + 600);
    let first = app.get("/api/v1/me", Some(&fresh)).ok(200).clone();
    assert_eq!(first["full_name"], "Nguyễn Thị Vneid");
    assert_eq!(
        app.get("/api/v1/me", Some(&fresh)).ok(200)["id"],
        first["id"]
    );
    assert_eq!(app.count("accounts"), 3);
    // It has no password to log in with.
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"username": "079203004567", "password": "!no-password"}),
    )
    .problem(401, "invalid_credentials");
    // Wrong issuer, expired, a subject that is not a national id: refused, nothing made.
    for bad in [
        provider_token("001099012345", "https://elsewhere.example", now() + 600),
        provider_token("001099012345", PROVIDER, now() - 3600),
        provider_token("not-a-national-id", PROVIDER, now() + 600),
    ] {
        app.get("/api/v1/me", Some(&bad))
            .problem(401, "invalid_token");
    }
    assert_eq!(app.count("accounts"), 3);
    // HS/RS confusion: an HMAC token keyed with the provider's public key is refused.
    let claims = json!({"sub": "001099012345", "iat": now(), "exp": now() + 600,
        "iss": PROVIDER, "aud": "motcua-api"});
    let confused = signed(
        Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(PUBLIC_PEM.as_bytes()),
    );
    app.get("/api/v1/me", Some(&confused))
        .problem(401, "invalid_token");
}

#[test]
fn without_a_provider_its_tokens_are_refused() {
    let app = TestApp::spawn();
    app.citizen("001099012345");
    let token = provider_token("001099012345", PROVIDER, now() + 600);
    app.get("/api/v1/me", Some(&token))
        .problem(401, "invalid_token");
}

#[test]
fn keys_rotate_without_signing_everyone_out() {
    let old_secret = "the-secret-of-last-year-at-least-32-bytes";
    let app = TestApp::spawn_with(|c| c.jwt_previous_secret = Some(old_secret.into()));
    let id = app.get("/api/v1/me", Some(&app.admin)).ok(200)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let claims = json!({"sub": id, "iat": now(), "nbf": now(), "exp": now() + 600,
        "iss": "motcua", "aud": "motcua-api"});
    let kid = |secret: &str| {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(secret.as_bytes())[..8])
    };
    let with_kid = |secret: &str, kid: &str| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.to_string());
        signed(
            header,
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
    };
    // A token of the previous key, named by its id, still works; so does the current key's.
    app.get("/api/v1/me", Some(&with_kid(old_secret, &kid(old_secret))))
        .ok(200);
    app.get("/api/v1/me", Some(&with_kid(JWT_SECRET, &kid(JWT_SECRET))))
        .ok(200);
    // An unknown key id, or a key id that does not match its signature, is refused.
    app.get(
        "/api/v1/me",
        Some(&with_kid(JWT_SECRET, "0000000000000000")),
    )
    .problem(401, "invalid_token");
    app.get("/api/v1/me", Some(&with_kid(old_secret, &kid(JWT_SECRET))))
        .problem(401, "invalid_token");
    // Once the previous secret is dropped from the configuration, its tokens stop working.
    let after = TestApp::spawn();
    let claims_after = json!({"sub": after.get("/api/v1/me", Some(&after.admin)).ok(200)["id"],
        "iat": now(), "nbf": now(), "exp": now() + 600, "iss": "motcua", "aud": "motcua-api"});
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid(old_secret));
    let old = signed(
        header,
        &claims_after,
        &EncodingKey::from_secret(old_secret.as_bytes()),
    );
    after
        .get("/api/v1/me", Some(&old))
        .problem(401, "invalid_token");
    // What this app issues names its current key.
    let header = jsonwebtoken::decode_header(&app.admin).unwrap();
    assert_eq!(header.kid, Some(kid(JWT_SECRET)));
}
