//! Logging in, registering, tokens and who may do what.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::common::{TestApp, ADMIN_PASSWORD, JWT_SECRET};

fn token_with(secret: &str, claims: serde_json::Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn admin_id(app: &TestApp) -> String {
    app.get("/api/v1/me", Some(&app.admin)).ok(200)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn login_and_me() {
    let app = TestApp::spawn();
    let me = app.get("/api/v1/me", Some(&app.admin));
    let me = me.ok(200);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");
    assert!(me.get("password_hash").is_none());

    app.post(
        "/api/v1/auth/login",
        None,
        json!({"username": "admin", "password": "wrong password 1"}),
    )
    .problem(401, "invalid_credentials");
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"username": "nobody", "password": ADMIN_PASSWORD}),
    )
    .problem(401, "invalid_credentials");
}

#[test]
fn logging_out_revokes_every_token_the_account_had() {
    let app = TestApp::spawn();
    let generation = |username: &str| {
        use diesel::prelude::*;
        use motcua::db::schema::accounts;
        let mut conn = app.pool.get().unwrap();
        let conn: &mut motcua::db::DbConn = &mut conn;
        accounts::table
            .filter(accounts::username.eq(username))
            .select(accounts::token_generation)
            .first::<i32>(conn)
            .unwrap()
    };
    let unit = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let phone = app.official("mot.cua.dang.xuat", "reception", Some(&unit));
    let laptop = app.login("mot.cua.dang.xuat", "Canbo2026pass");
    let official = app.official("chuyen.vien.dang.xuat", "specialist", Some(&unit));
    app.get("/api/v1/me", Some(&phone)).ok(200);
    assert_eq!(generation("mot.cua.dang.xuat"), 0);

    // Logging out from one device ends the sessions of both; nothing to log out without a token.
    app.post("/api/v1/auth/logout", None, json!({}))
        .problem(401, "missing_token");
    let out = app.post("/api/v1/auth/logout", Some(&laptop), json!({}));
    assert_eq!((out.status, &out.body), (204, &serde_json::Value::Null));
    assert_eq!(generation("mot.cua.dang.xuat"), 1);
    for token in [&phone, &laptop] {
        app.get("/api/v1/me", Some(token))
            .problem(401, "token_revoked");
        // The dossier read checks the account in its own statement: the same answer.
        let path = format!("/api/v1/dossiers/{}", uuid::Uuid::now_v7());
        app.get(&path, Some(token)).problem(401, "token_revoked");
        app.post("/api/v1/auth/logout", Some(token), json!({}))
            .problem(401, "token_revoked");
    }
    assert_eq!(generation("mot.cua.dang.xuat"), 1);
    // Other accounts keep theirs; a new log-in works.
    app.get("/api/v1/me", Some(&official)).ok(200);
    app.get("/api/v1/me", Some(&app.admin)).ok(200);
    let again = app.login("mot.cua.dang.xuat", "Canbo2026pass");
    assert_eq!(
        app.get("/api/v1/me", Some(&again)).ok(200)["username"],
        "mot.cua.dang.xuat"
    );

    // A new password set by an administrator ends the sessions of the old one.
    let id = app.get("/api/v1/me", Some(&official)).ok(200)["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(
        &format!("/api/v1/accounts/{id}"),
        Some(&app.admin),
        json!({"password": "Matkhaumoi2026"}),
    )
    .ok(200);
    app.get("/api/v1/me", Some(&official))
        .problem(401, "token_revoked");
    let renewed = app.login("chuyen.vien.dang.xuat", "Matkhaumoi2026");
    app.get("/api/v1/me", Some(&renewed)).ok(200);
    // Any other change leaves them be.
    app.patch(
        &format!("/api/v1/accounts/{id}"),
        Some(&app.admin),
        json!({"full_name": "Trần Văn Chuyên Viên"}),
    )
    .ok(200);
    app.get("/api/v1/me", Some(&renewed)).ok(200);
}

#[test]
fn rejected_tokens_answer_401() {
    let app = TestApp::spawn();
    let sub = admin_id(&app);
    let now = chrono::Utc::now().timestamp();
    let claims = |iat: i64, exp: i64, iss: &str, aud: &str| json!({"sub": sub, "iat": iat, "nbf": iat, "exp": exp, "iss": iss, "aud": aud});
    app.get("/api/v1/me", None).problem(401, "missing_token");
    let cases = [
        ("garbage", "not.a.token".to_string()),
        (
            "expired",
            token_with(
                JWT_SECRET,
                claims(now - 7200, now - 3600, "motcua", "motcua-api"),
            ),
        ),
        (
            "other key",
            token_with(
                "another-secret-of-at-least-thirty-two-bytes",
                claims(now, now + 600, "motcua", "motcua-api"),
            ),
        ),
        (
            "wrong issuer",
            token_with(
                JWT_SECRET,
                claims(now, now + 600, "elsewhere", "motcua-api"),
            ),
        ),
        (
            "wrong audience",
            token_with(JWT_SECRET, claims(now, now + 600, "motcua", "other")),
        ),
        (
            "not yet valid",
            token_with(
                JWT_SECRET,
                claims(now + 3600, now + 7200, "motcua", "motcua-api"),
            ),
        ),
        ("oversized", "a".repeat(5000)),
    ];
    for (name, token) in cases {
        let answer = app.get("/api/v1/me", Some(&token));
        assert_eq!(answer.status, 401, "{name}: {}", answer.text);
        answer.problem(401, "invalid_token");
    }
    // alg: none, with a valid-looking payload and no signature.
    use base64_engine::encode as b64;
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64(claims(now, now + 600, "motcua", "motcua-api")
        .to_string()
        .as_bytes());
    let unsigned = format!("{header}.{payload}.");
    app.get("/api/v1/me", Some(&unsigned))
        .problem(401, "invalid_token");
    // The same claims, properly signed, pass.
    let good = token_with(JWT_SECRET, claims(now, now + 600, "motcua", "motcua-api"));
    app.get("/api/v1/me", Some(&good)).ok(200);
}

/// URL-safe base64 without padding, as JWTs use.
mod base64_engine {
    pub fn encode(bytes: &[u8]) -> String {
        const TABLE: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

#[test]
fn citizens_register_with_a_national_id() {
    let app = TestApp::spawn();
    let before = app.count("accounts");
    let body = json!({"national_id": "001099012345", "full_name": "Trần Thị Lan",
                      "phone": "+84 912 345 678", "email": "lan@example.vn",
                      "password": "Lan2026matkhau"});
    let answer = app.post("/api/v1/auth/register", None, body.clone());
    let account = answer.ok(201);
    assert_eq!(account["username"], "001099012345");
    assert_eq!(account["national_id"], "001099012345");
    assert_eq!(account["role"], "citizen");
    assert_eq!(account["phone"], "0912345678");
    assert_eq!(app.count("accounts"), before + 1);

    app.post("/api/v1/auth/register", None, body.clone())
        .problem(409, "account_exists");

    let bad = [
        ("national_id", json!("12345")),
        ("national_id", json!("000099012345")),
        ("password", json!("short1")),
        ("password", json!("x001099012346y")),
        ("phone", json!("12345")),
        ("email", json!("not-an-email")),
    ];
    for (field, value) in bad {
        let mut attempt = body.clone();
        attempt["national_id"] = json!("001099012346");
        attempt[field] = value;
        let answer = app.post("/api/v1/auth/register", None, attempt);
        let problem = answer.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{}", answer.text);
    }
    let mut no_contact = body.clone();
    no_contact["national_id"] = json!("001099012346");
    no_contact.as_object_mut().unwrap().remove("phone");
    no_contact.as_object_mut().unwrap().remove("email");
    app.post("/api/v1/auth/register", None, no_contact)
        .problem(422, "validation_failed");
    assert_eq!(
        app.count("accounts"),
        before + 1,
        "refused registrations stored nothing"
    );

    let token = app.login("001099012345", "Lan2026matkhau");
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).ok(200)["full_name"],
        "Trần Thị Lan"
    );
}

#[test]
fn administrators_manage_officials() {
    let app = TestApp::spawn();
    let unit = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let official = |role: &str, unit: Option<&str>| {
        json!({"username": "canbo.mot", "password": "Canbo2026pass", "full_name": "Lê Văn Một",
               "role": role, "unit_id": unit})
    };
    app.post(
        "/api/v1/accounts",
        Some(&app.admin),
        official("reception", None),
    )
    .problem(422, "validation_failed");
    app.post(
        "/api/v1/accounts",
        Some(&app.admin),
        official("citizen", Some(&unit)),
    )
    .problem(422, "validation_failed");
    let unknown_unit = "01900000-0000-7000-8000-000000000000";
    app.post(
        "/api/v1/accounts",
        Some(&app.admin),
        official("reception", Some(unknown_unit)),
    )
    .problem(422, "unknown_unit");
    let created = app.post(
        "/api/v1/accounts",
        Some(&app.admin),
        official("reception", Some(&unit)),
    );
    let account = created.ok(201);
    let id = account["id"].as_str().unwrap().to_string();
    assert_eq!(account["unit_id"], unit.as_str());
    app.post(
        "/api/v1/accounts",
        Some(&app.admin),
        official("reception", Some(&unit)),
    )
    .problem(409, "account_exists");

    let listed = app.get(
        &format!("/api/v1/accounts?role=reception&unit_id={unit}"),
        Some(&app.admin),
    );
    let items = listed.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["username"], "canbo.mot");

    // A citizen and an official are refused the administrators' endpoints.
    let token = app.login("canbo.mot", "Canbo2026pass");
    let citizen = app.citizen("001099012345");
    let leader = app.official("lanh.dao", "leader", Some(&unit));
    for who in [&token, &citizen, &leader] {
        app.get("/api/v1/accounts", Some(who))
            .problem(403, "forbidden");
        app.post(
            "/api/v1/units",
            Some(who),
            json!({"code": "000.00.01.H30", "name": "Sở", "level": "department"}),
        )
        .problem(403, "forbidden");
        app.put("/api/v1/calendar/2026", Some(who), json!({"days": []}))
            .problem(403, "forbidden");
    }

    // Change the role, then disable: the token in hand stops working and login is refused.
    let changed = app.patch(
        &format!("/api/v1/accounts/{id}"),
        Some(&app.admin),
        json!({"role": "specialist"}),
    );
    assert_eq!(changed.ok(200)["role"], "specialist");
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).ok(200)["role"],
        "specialist"
    );
    let disabled = app.patch(
        &format!("/api/v1/accounts/{id}"),
        Some(&app.admin),
        json!({"disabled": true}),
    );
    assert_eq!(disabled.ok(200)["disabled"], true);
    app.get("/api/v1/me", Some(&token))
        .problem(401, "account_disabled");
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"username": "canbo.mot", "password": "Canbo2026pass"}),
    )
    .problem(401, "account_disabled");
    app.patch(
        &format!("/api/v1/accounts/{id}"),
        Some(&app.admin),
        json!({"disabled": false}),
    )
    .ok(200);
    app.get("/api/v1/me", Some(&token)).ok(200);

    // An official needs a unit; a citizen cannot become an official.
    app.patch(
        &format!("/api/v1/accounts/{id}"),
        Some(&app.admin),
        json!({"unit_id": null}),
    )
    .problem(422, "validation_failed");
    let citizen_id = app.get("/api/v1/me", Some(&citizen)).ok(200)["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(
        &format!("/api/v1/accounts/{citizen_id}"),
        Some(&app.admin),
        json!({"role": "leader", "unit_id": unit}),
    )
    .problem(422, "validation_failed");

    // The administrator cannot lock themselves out.
    let me = admin_id(&app);
    app.patch(
        &format!("/api/v1/accounts/{me}"),
        Some(&app.admin),
        json!({"disabled": true}),
    )
    .problem(409, "cannot_change_self");
    app.get(
        "/api/v1/accounts/01900000-0000-7000-8000-000000000000",
        Some(&app.admin),
    )
    .problem(404, "not_found");
}
