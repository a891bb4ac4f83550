//! The crash test's client (`motcua bench crash`, driven by `scripts/crash-test`, which kills
//! and restarts the service, and once the database, while it runs). It submits dossiers online
//! at one commune, each with an `Idempotency-Key` of its own, and receives each one. A request
//! that gets no answer (the connection dropped, 5xx) is retried with the same key until the
//! service answers. A receipt retried after a crash may find the dossier received already (409
//! or 412): it counts if the dossier is received. Every acknowledged dossier and receipt is
//! written to a journal (dossier id per line), then read back over the API at the end. Before
//! each submission the citizen uploads a file for each mandatory component of the procedure,
//! and one more left unattached (an upload has no idempotency key: one retried after a crash
//! may leave a content without a row, which `motcua files check` counts); every acknowledged
//! file is downloaded at the end and compared.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::load::{self, Client, Request};

/// What the run did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub submitted: usize,
    pub received: usize,
    /// Requests sent again after no answer.
    pub retries: usize,
    /// Receipts found done on retry (committed before a crash, unacknowledged).
    pub received_before_crash: usize,
    /// Acknowledged dossiers read back over the API, received.
    pub verified: usize,
    /// Files uploaded and acknowledged; of them, downloaded back with their content intact.
    pub uploaded: usize,
    pub files_verified: usize,
}

/// Sends `request` until the service answers something other than a 5xx, for at most two
/// minutes; its status, ETag and body.
fn until_answered(
    client: &Client,
    request: &Request,
    retries: &mut usize,
) -> Result<(u16, Option<String>, Value), String> {
    let started = Instant::now();
    loop {
        match client.send(request) {
            Ok((status, etag, body)) if status < 500 => {
                return Ok((
                    status,
                    etag,
                    serde_json::from_slice(&body).unwrap_or(Value::Null),
                ))
            }
            _ if started.elapsed() > Duration::from_secs(120) => {
                return Err(format!("{}: no answer for two minutes", request.path))
            }
            _ => {
                *retries += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Logs in, retrying while the service is down.
fn login(client: &Client, username: &str) -> Result<std::sync::Arc<str>, String> {
    let started = Instant::now();
    loop {
        match client.login(username) {
            Ok(token) => return Ok(token),
            Err(_) if started.elapsed() < Duration::from_secs(120) => {
                std::thread::sleep(Duration::from_millis(200))
            }
            Err(e) => return Err(e),
        }
    }
}

/// Submits and receives `count` dossiers, keys prefixed with `run`, journaling to `journal`.
pub fn run(client: &Client, count: usize, run: &str, journal: &Path) -> Result<Outcome, String> {
    let citizen = login(client, "001090000000")?;
    let mut communes = Vec::new();
    while communes.is_empty() {
        match load::communes(client, 1) {
            Ok(c) => communes = c,
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    let commune = &communes[0];
    // The procedure's mandatory components, each given a file of its own per dossier.
    let read = load::get(format!("/procedures/{}", commune.procedure), &citizen);
    let (_, _, procedure) = until_answered(client, &read, &mut 0)?;
    let mandatory: Vec<String> = procedure["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["mandatory"] == true)
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    let mut journal = std::fs::File::create(journal).map_err(|e| e.to_string())?;
    let mut out = Outcome::default();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..count {
        let mut components = Vec::new();
        for (n, component) in std::iter::once(None)
            .chain(mandatory.iter().map(Some))
            .enumerate()
        {
            let content = format!("%PDF-1.4\ncrash test {run} {i} {n}\n");
            let upload = load::upload(&citizen, "scan.pdf", content.as_bytes());
            let (status, _, file) = until_answered(client, &upload, &mut out.retries)?;
            if status != 201 {
                return Err(format!("upload {i}: {status} {file}"));
            }
            out.uploaded += 1;
            let id = file["id"].as_str().unwrap_or_default().to_string();
            if let Some(component) = component {
                components.push(json!({"component_id": component, "file_id": id}));
            }
            files.push((id, content));
        }
        let mut body = load::online_body(commune);
        body["components"] = Value::Array(components);
        let submit =
            load::post("/dossiers".into(), &citizen, &body, None).with_key(format!("{run}-{i}"));
        let (status, etag, dossier) = until_answered(client, &submit, &mut out.retries)?;
        if status != 201 {
            return Err(format!("submission {i}: {status} {dossier}"));
        }
        let id = dossier["id"].as_str().unwrap_or_default().to_string();
        out.submitted += 1;
        let path = format!("/dossiers/{id}/actions");
        let receive = load::post(
            path,
            &commune.reception,
            &json!({"action": "receive"}),
            etag,
        );
        let (status, _, answer) = until_answered(client, &receive, &mut out.retries)?;
        match status {
            200 => {}
            409 | 412 => {
                let read = load::get(format!("/dossiers/{id}"), &commune.reception);
                let (_, _, now) = until_answered(client, &read, &mut out.retries)?;
                if now["status"] != "received" {
                    return Err(format!(
                        "receipt of {id}: {status} {answer}, and it is {now}"
                    ));
                }
                out.received_before_crash += 1;
            }
            other => return Err(format!("receipt of {id}: {other} {answer}")),
        }
        out.received += 1;
        writeln!(journal, "{id}").map_err(|e| e.to_string())?;
        acknowledged.push(id);
    }
    for id in &acknowledged {
        let read = load::get(format!("/dossiers/{id}"), &commune.reception);
        let (status, _, dossier) = until_answered(client, &read, &mut out.retries)?;
        if status != 200 || dossier["status"] != "received" {
            return Err(format!(
                "acknowledged dossier {id} reads {status} {dossier}"
            ));
        }
        out.verified += 1;
    }
    for (id, content) in &files {
        let read = load::get(format!("/files/{id}/content"), &citizen);
        let mut tries = 0;
        let body = loop {
            match client.send(&read) {
                Ok((200, _, body)) => break body,
                Ok((status, _, _)) if status < 500 => {
                    return Err(format!("acknowledged file {id} reads {status}"))
                }
                _ if tries > 1200 => return Err(format!("file {id}: no answer")),
                _ => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        if body != content.as_bytes() {
            return Err(format!("acknowledged file {id} has another content"));
        }
        out.files_verified += 1;
    }
    Ok(out)
}
