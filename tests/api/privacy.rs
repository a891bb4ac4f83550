//! Personal data stays out of the logs: the service, run as its own process with JSON logs at
//! the debug level, serves requests full of national ids, phone numbers, passwords and tokens,
//! and none of them appears in what it wrote.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const NATIONAL_ID: &str = "001099077777";
const APPLICANT_ID: &str = "079203066666";
const PHONE: &str = "0987654321";
const PASSWORD: &str = "Matkhau-rieng-2026";
const ADMIN_PASSWORD: &str = "Quantri-rieng-2026!";

#[test]
fn national_ids_phones_passwords_and_tokens_never_reach_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let database = crate::common::TestDatabase::new(dir.path());
    let mut server = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &database.url)
        .env("MOTCUA_DATA_DIR", dir.path())
        .env("MOTCUA_BIND", format!("127.0.0.1:{port}"))
        .env("MOTCUA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("MOTCUA_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut up = false;
    for _ in 0..100 {
        if agent
            .get(format!("http://127.0.0.1:{port}/health"))
            .call()
            .is_ok()
        {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(up, "the service starts");
    let send = |method: &str, path: &str, token: Option<&str>, body: Value| -> (u16, Value) {
        let url = format!("{base}{path}");
        let auth = token.map(|t| format!("Bearer {t}"));
        let response = match method {
            "GET" => {
                let mut r = agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            _ => {
                let mut r = agent.post(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send_json(body)
            }
        };
        let mut response = response.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        )
    };
    let (status, _) = send(
        "POST",
        "/auth/register",
        None,
        json!({"national_id": NATIONAL_ID, "full_name": "Lê Văn Riêng", "phone": PHONE,
               "password": PASSWORD}),
    );
    assert_eq!(status, 201);
    let (_, login) = send(
        "POST",
        "/auth/login",
        None,
        json!({"username": NATIONAL_ID, "password": PASSWORD}),
    );
    let token = login["access_token"].as_str().unwrap().to_string();
    let (_, admin) = send(
        "POST",
        "/auth/login",
        None,
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    );
    let admin = admin["access_token"].as_str().unwrap().to_string();
    // Failures too: a wrong password, a registration taken, a look-up that finds nothing, a
    // forged token.
    send(
        "POST",
        "/auth/login",
        None,
        json!({"username": NATIONAL_ID, "password": "sai-mat-khau-1"}),
    );
    send(
        "POST",
        "/auth/register",
        None,
        json!({"national_id": NATIONAL_ID,
        "full_name": "Lê Văn Riêng", "phone": PHONE, "password": PASSWORD}),
    );
    send(
        "POST",
        "/public/dossier-status",
        None,
        json!({"code": "000.00.12.H30-261201-0001", "national_id": APPLICANT_ID}),
    );
    send("GET", "/me", Some(&token), Value::Null);
    send("GET", "/me", Some(&format!("{token}x")), Value::Null);
    send("GET", "/me/documents", Some(&token), Value::Null);
    send("GET", "/accounts", Some(&admin), Value::Null);
    send(
        "GET",
        &format!("/dossiers?limit=5&q={NATIONAL_ID}"),
        Some(&token),
        Value::Null,
    );
    send(
        "GET",
        "/dossiers/0190d6a2-6a4e-7c3b-9f00-000000000001",
        Some(&token),
        Value::Null,
    );

    server.kill().unwrap();
    let mut logs = String::new();
    server
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let _ = server.wait();
    assert!(
        logs.contains("/auth/login"),
        "the requests were logged: {logs}"
    );
    // Each request's line names the route it took, with its parameters' names, not values.
    assert!(
        logs.contains(r#""http.route":"/api/v1/dossiers/{id}""#),
        "the route was logged: {logs}"
    );
    for secret in [
        NATIONAL_ID,
        APPLICANT_ID,
        PHONE,
        PASSWORD,
        ADMIN_PASSWORD,
        &token,
        &admin,
    ] {
        let line = logs.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "{secret} is in the logs: {line:?}");
    }
}
