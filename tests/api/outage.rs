//! A database outage: with PostgreSQL unreachable the service answers 503 with `Retry-After`
//! within a bounded time (no hang, no 500), `/ready` turns false, and it recovers by itself
//! when the database comes back. The outage is made by a TCP relay between the service and
//! the test's PostgreSQL that can drop every connection and refuse new ones. PostgreSQL only
//! (an embedded SQLite file has no outage to survive).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::TestApp;

/// A relay that forwards connections to `upstream` while up.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(upstream: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut list = open2.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Relay { port, up, open }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_database_outage_answers_503_and_recovers_by_itself() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        return; // SQLite: nothing to stop.
    };
    if url.is_empty() {
        return;
    }
    // postgres://user@host:port/db → the relay's port in its place.
    let at = url.find('@').unwrap() + 1;
    let slash = at + url[at..].find('/').unwrap();
    let relay = Relay::start(url[at..slash].to_string());
    let relayed = format!("{}127.0.0.1:{}{}", &url[..at], relay.port, &url[slash..]);
    let app = TestApp::spawn_with(|c| {
        c.database_url = crate::common::schema_url(&relayed);
        c.db_wait_seconds = 2;
    });
    let token = app.citizen("001099012345");
    app.get("/api/v1/dossiers", Some(&token)).ok(200);

    relay.down();
    for path in [
        "/ready",
        "/api/v1/dossiers",
        "/api/v1/procedures",
        "/api/v1/me",
    ] {
        for _ in 0..3 {
            let started = Instant::now();
            let (answer, headers) = app.send_with_headers("GET", path, Some(&token), &[], None);
            let took = started.elapsed();
            answer.problem(503, "service_unavailable");
            assert!(
                headers
                    .iter()
                    .any(|(name, v)| name == "retry-after" && v == "1"),
                "{path}: {headers:?}"
            );
            assert!(took < Duration::from_secs(5), "{path} took {took:?}");
        }
    }

    relay.up();
    let started = Instant::now();
    loop {
        let ready = app.get("/ready", None);
        if ready.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not ready again: {}",
            ready.text
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    app.get("/api/v1/dossiers", Some(&token)).ok(200);
    app.get("/api/v1/me", Some(&token)).ok(200);
}
