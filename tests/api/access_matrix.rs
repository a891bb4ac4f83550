//! The access matrix (issue 7): every operation of the served OpenAPI document × every kind of
//! caller, each answer checked against [`POLICY`], a table declared here with one row per
//! operation (and per probe, where one operation needs several: the workflow's actions) and one
//! column per caller. The path's id points to citizen A's resources (or to the owning unit, the
//! procedure, A's account…). Every refused call is checked to have written nothing, and every
//! 404 to be exactly what an id that does not exist answers. A row missing for an operation of
//! the document, or a row for an operation it no longer has, fails the test.
//!
//! Besides: the table itself is checked to hide (404) rather than forbid (403) what a caller may
//! not see; look-ups by code, and foreign file and document ids named in bodies, must answer
//! like unknown ones (no oracle); and the two sweeps of every operation (anonymous callers, a
//! lone citizen) over an empty service.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use motcua::db::DbConn;
use serde_json::{json, Value};

use crate::common::{encode, multipart, Answer, TestApp};
use crate::documents::sha256;
use crate::dossiers::{upload, World};

/// What an answer means for access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// 2xx: allowed, and done.
    Allow,
    /// Allowed past every access check, but the request itself is refused for its body or the
    /// resource's state (400, 409, 412, 422, 428).
    Refused,
    /// 403.
    Forbidden,
    /// 404: for this caller the resource does not exist.
    Hidden,
    /// 401.
    Unauthenticated,
}

use Class::{Allow as A, Forbidden as F, Hidden as H, Refused as R, Unauthenticated as U};

fn classify(status: u16) -> Option<Class> {
    match status {
        200..=299 => Some(A),
        400 | 409 | 412 | 422 | 428 => Some(R),
        403 => Some(F),
        404 => Some(H),
        401 => Some(U),
        _ => None,
    }
}

/// The callers, in the order of the table's columns.
const CALLERS: [&str; 14] = [
    "anonymous",
    "citizen A (the owner)",
    "citizen B",
    "reception of the owning unit",
    "specialist of the owning unit",
    "leader of the owning unit",
    "reception of another unit",
    "specialist of another unit",
    "leader of another unit",
    "reception of the parent unit",
    "specialist of the parent unit",
    "leader of the parent unit",
    "supervisor",
    "administrator",
];
const ANONYMOUS: usize = 0;
const CITIZEN_A: usize = 1;
const CITIZEN_B: usize = 2;

/// (method, path template of the document, probe, expected class for each caller). The probe
/// names the request sent (see [`Fixture::probe`]); for the workflow it is the action.
type Row = (&'static str, &'static str, &'static str, [Class; 14]);

/// The policy. Columns: anonymous; citizen A (owns the dossiers, documents, files and fees the
/// ids point to) and citizen B; reception, specialist and leader of the owning unit (the unit
/// that receives and processes A's dossiers), of another unit (a sibling under the same
/// province), and of the parent unit (the province); a supervisor; an administrator.
///
/// A = 2xx, R = authorized but the body or the state refuses it (400/409/412/422/428),
/// F = 403, H = 404, U = 401.
#[rustfmt::skip]
const POLICY: &[Row] = &[
    //                                                                          anon cA  cB   rO  sO  lO   rX  sX  lX   rP  sP  lP   sup adm
    ("GET",    "/health",                                 "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("GET",    "/ready",                                  "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("GET",    "/metrics",                                "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    // The dashboard: its login form for anonymous callers; the page for those who read reports.
    ("GET",    "/dashboard",                              "",                  [A,  F,  F,   F,  F,  A,   F,  F,  A,   F,  F,  A,   A,  A]),
    ("POST",   "/dashboard/login",                        "wrong_password",    [U,  U,  U,   U,  U,  U,   U,  U,  U,   U,  U,  U,   U,  U]),
    // Both ways out revoke the caller's tokens: the matrix goes on with renewed ones.
    ("POST",   "/dashboard/logout",                       "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("POST",   "/api/v1/auth/login",                      "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("POST",   "/api/v1/auth/register",                   "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("POST",   "/api/v1/auth/logout",                     "",                  [U,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("GET",    "/api/v1/me",                              "",                  [U,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("GET",    "/api/v1/accounts",                        "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("POST",   "/api/v1/accounts",                        "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/accounts/{id}",                   "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("PATCH",  "/api/v1/accounts/{id}",                   "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/units",                           "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("POST",   "/api/v1/units",                           "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/units/{id}",                      "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("PATCH",  "/api/v1/units/{id}",                      "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("PUT",    "/api/v1/units/{id}/digitization-plan",    "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("POST",   "/api/v1/units/{id}/historical-results",   "",                  [U,  F,  F,   A,  A,  A,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/calendar/deadline",               "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("GET",    "/api/v1/calendar/{year}",                 "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("PUT",    "/api/v1/calendar/{year}",                 "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/procedures",                      "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("POST",   "/api/v1/procedures",                      "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/procedures/{id}",                 "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("GET",    "/api/v1/procedures/{id}/fee-quote",       "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("POST",   "/api/v1/procedures/{id}/versions",        "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/fee-policies",                    "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("POST",   "/api/v1/fee-policies",                    "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/fee-policies/{id}",               "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("PATCH",  "/api/v1/fee-policies/{id}",               "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("POST",   "/api/v1/files",                           "",                  [U,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("GET",    "/api/v1/files/{id}/content",              "",                  [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   H,  H]),
    ("GET",    "/api/v1/dossiers",                        "",                  [U,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  F]),
    ("POST",   "/api/v1/dossiers",                        "online",            [U,  R,  R,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F]),
    ("POST",   "/api/v1/dossiers",                        "in_person",         [U,  F,  F,   A,  F,  F,   A,  F,  F,   A,  F,  F,   F,  F]),
    ("GET",    "/api/v1/dossiers/{id}",                   "",                  [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   A,  H]),
    ("GET",    "/api/v1/dossiers/{id}/events",            "",                  [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   A,  H]),
    ("GET",    "/api/v1/dossiers/{id}/receipt",           "",                  [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   A,  H]),
    ("GET",    "/api/v1/dossiers/{id}/fee-receipt",       "",                  [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   A,  H]),
    ("POST",   "/api/v1/dossiers/{id}/digitize",          "",                  [U,  F,  H,   A,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/rating",            "",                  [U,  A,  H,   F,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    // The workflow: each action on a dossier of A in a state that allows it.
    ("POST",   "/api/v1/dossiers/{id}/actions",           "receive",           [U,  F,  H,   A,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "refuse",            [U,  F,  H,   A,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "request_supplement",[U,  F,  H,   A,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "ask_in_processing", [U,  F,  H,   F,  A,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "supplement",        [U,  A,  H,   A,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "transfer",          [U,  F,  H,   A,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "assign",            [U,  F,  H,   F,  F,  A,   H,  H,  H,   H,  H,  A,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "request_payment",   [U,  F,  H,   F,  A,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "confirm_payment",   [U,  F,  H,   A,  A,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "submit_draft",      [U,  F,  H,   F,  A,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "approve",           [U,  F,  H,   F,  F,  A,   H,  H,  H,   H,  H,  A,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "apology",           [U,  F,  H,   F,  F,  A,   H,  H,  H,   H,  H,  A,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "withdraw",          [U,  A,  H,   F,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "confirm_withdrawal",[U,  F,  H,   A,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "stop",              [U,  F,  H,   F,  F,  A,   H,  H,  H,   H,  H,  A,   F,  H]),
    ("POST",   "/api/v1/dossiers/{id}/actions",           "return_result",     [U,  F,  H,   A,  F,  F,   H,  H,  H,   H,  H,  F,   F,  H]),
    ("GET",    "/api/v1/feed/dossiers",                   "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   A,  A]),
    ("GET",    "/api/v1/webhooks",                        "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("POST",   "/api/v1/webhooks",                        "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("DELETE", "/api/v1/webhooks/{id}",                   "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("GET",    "/api/v1/notifications",                   "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("POST",   "/api/v1/notifications/{id}/retry",        "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("POST",   "/api/v1/imports/dossiers",                "",                  [U,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  A]),
    ("POST",   "/api/v1/payments/callback",               "unsigned",          [U,  U,  U,   U,  U,  U,   U,  U,  U,   U,  U,  U,   U,  U]),
    ("GET",    "/api/v1/me/documents",                    "",                  [U,  A,  A,   F,  F,  F,   F,  F,  F,   F,  F,  F,   F,  F]),
    ("GET",    "/api/v1/documents/{id}",                  "component",         [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   H,  H]),
    ("GET",    "/api/v1/documents/{id}",                  "result",            [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   H,  H]),
    ("GET",    "/api/v1/documents/{id}/content",          "component",         [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   H,  H]),
    ("GET",    "/api/v1/documents/{id}/content",          "result",            [U,  A,  H,   A,  A,  A,   H,  H,  H,   H,  H,  A,   H,  H]),
    // Only the owner removes, and a result is kept (409).
    ("DELETE", "/api/v1/documents/{id}",                  "result",            [U,  R,  H,   H,  H,  H,   H,  H,  H,   H,  H,  H,   H,  H]),
    ("GET",    "/api/v1/results/{code}/verify",           "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("POST",   "/api/v1/results/{code}/verify",           "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("POST",   "/api/v1/public/dossier-status",           "",                  [A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A,  A,   A,  A]),
    ("GET",    "/api/v1/reports/units",                   "",                  [U,  F,  F,   F,  F,  A,   F,  F,  F,   F,  F,  A,   A,  A]),
    ("GET",    "/api/v1/reports/procedures",              "",                  [U,  F,  F,   F,  F,  A,   F,  F,  F,   F,  F,  A,   A,  A]),
    ("GET",    "/api/v1/reports/fields",                  "",                  [U,  F,  F,   F,  F,  A,   F,  F,  F,   F,  F,  A,   A,  A]),
    ("GET",    "/api/v1/reports/series",                  "",                  [U,  F,  F,   F,  F,  A,   F,  F,  F,   F,  F,  A,   A,  A]),
    ("GET",    "/api/v1/reports/indicators",              "",                  [U,  F,  F,   F,  F,  A,   F,  F,  F,   F,  F,  A,   A,  A]),
    ("GET",    "/api/v1/reports/digitization",            "",                  [U,  F,  F,   F,  F,  A,   F,  F,  F,   F,  F,  A,   A,  A]),
];

/// The prefixes of the paths whose id names someone's private papers: for them a caller who
/// may not see the resource gets 404, whatever they try.
const PRIVATE: [&str; 3] = [
    "/api/v1/dossiers/{id}",
    "/api/v1/documents/{id}",
    "/api/v1/files/{id}",
];

/// Every (method, path template) of the served document.
fn documented(app: &TestApp) -> BTreeSet<(String, String)> {
    let document = app.get("/api-docs/openapi.json", None).ok(200).clone();
    let mut out = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn the_policy_table_has_a_row_for_every_operation_of_the_document_and_no_other() {
    let app = TestApp::spawn();
    let documented = documented(&app);
    let declared: BTreeSet<(String, String)> = POLICY
        .iter()
        .map(|(method, path, _, _)| (method.to_string(), path.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&declared).collect();
    let stale: Vec<_> = declared.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "operations of the document without a row in POLICY (declare who may call them): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows of POLICY for operations the document no longer has: {stale:?}"
    );
    let mut probes = BTreeSet::new();
    for (method, path, probe, _) in POLICY {
        assert!(
            probes.insert((method, path, probe)),
            "{method} {path} [{probe}] is declared twice"
        );
    }
}

/// Checks the table itself: on a private resource, a caller who may not see it (404 on its
/// read) gets 404 from everything else about it, never a 403 that would confirm it exists; and
/// citizen B never gets anything but 404 from A's papers.
#[test]
fn the_policy_hides_what_a_caller_may_not_see_rather_than_forbidding_it() {
    let read = |path: &str| -> &[Class; 14] {
        let (.., classes) = POLICY
            .iter()
            .find(|(method, p, ..)| *method == "GET" && *p == path)
            .unwrap_or_else(|| panic!("a GET row for {path}"));
        classes
    };
    for (method, path, probe, classes) in POLICY {
        let Some(prefix) = PRIVATE.iter().find(|p| path.starts_with(**p)) else {
            continue;
        };
        let reads = match *prefix {
            "/api/v1/files/{id}" => read("/api/v1/files/{id}/content"),
            other => read(other),
        };
        for (caller, (class, seen)) in classes.iter().zip(reads).enumerate() {
            if *seen == H {
                assert_eq!(
                    *class, H,
                    "{method} {path} [{probe}]: {} may not see it, so it must be 404",
                    CALLERS[caller]
                );
            }
        }
        assert_eq!(classes[CITIZEN_B], H, "{method} {path} [{probe}]");
    }
}

/// A request to send: the value of the path's placeholder, a query string, headers and a body.
#[derive(Default)]
struct Probe {
    fill: Option<String>,
    query: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

impl Probe {
    fn path(&self, template: &str) -> String {
        let path = match (template.find('{'), template.find('}'), &self.fill) {
            (Some(open), Some(close), Some(fill)) => {
                format!("{}{fill}{}", &template[..open], &template[close + 1..])
            }
            (None, _, _) => template.to_string(),
            _ => panic!("{template}: no value for its placeholder"),
        };
        format!("{path}{}", self.query)
    }
}

fn json_body(value: Value) -> Option<(String, Vec<u8>)> {
    Some((
        "application/json".to_string(),
        value.to_string().into_bytes(),
    ))
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n{text}").into_bytes()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}

const NATIONAL_ID_A: &str = "001099012345";
const PAYMENT_SECRET: &str = "gateway-secret-for-the-access-matrix";

/// The world the matrix runs in: the units, a caller of each kind, and citizen A's resources.
struct Fixture {
    w: World,
    /// One token per column of the table (none for the anonymous caller).
    tokens: Vec<Option<String>>,
    province: String,
    /// A's dossier, submitted online and received: it has a code, a receipt, a fee, two
    /// uploaded files and the documents digitized from them.
    received: Value,
    /// A's file, one of the components of `received`.
    file: String,
    /// A document of A's store digitized from `received`.
    component_document: String,
    /// A's dossier taken to its end: paid at the counter, approved and returned, with its
    /// electronic result.
    returned: Value,
    result_document: String,
    result_code: String,
    result_bytes: Vec<u8>,
    account_a: String,
    /// A procedure no dossier uses, for publishing versions.
    spare_procedure: String,
    policy: String,
    year: i32,
    /// For each workflow probe, the dossier of A it acts on until an action succeeds on it.
    current: HashMap<String, Value>,
    serial: usize,
}

impl Fixture {
    fn new() -> Fixture {
        let w = World::with(|c| {
            c.payment_secret = Some(PAYMENT_SECRET.to_string());
            c.limits.public_lookups_per_minute = 0;
        });
        let app = &w.app;
        let province = w.province();
        let other = app.unit(
            "000.00.13.H30",
            "UBND xã Hỏa Lựu",
            "commune",
            Some(&province),
        );
        let official =
            |name: &str, role: &str, unit: Option<&str>| Some(app.official(name, role, unit));
        let tokens = vec![
            None,
            Some(w.citizen.clone()),
            Some(w.citizen_b.clone()),
            Some(w.reception.clone()),
            Some(w.specialist.clone()),
            Some(w.leader.clone()),
            official("mot.cua.hoa.luu", "reception", Some(&other)),
            official("chuyen.vien.hoa.luu", "specialist", Some(&other)),
            official("lanh.dao.hoa.luu", "leader", Some(&other)),
            official("mot.cua.tinh", "reception", Some(&province)),
            official("chuyen.vien.tinh", "specialist", Some(&province)),
            official("lanh.dao.tinh", "leader", Some(&province)),
            official("giam.sat", "supervisor", None),
            Some(app.admin.clone()),
        ];

        let submitted = w.submit();
        let received = w.step(&w.reception, &submitted, json!({"action": "receive"}));
        let file = received["components"][0]["file_id"]
            .as_str()
            .unwrap()
            .to_string();
        let digitized = app.post(
            &format!("/api/v1/dossiers/{}/digitize", id_of(&received)),
            Some(&w.reception),
            json!({}),
        );
        let component_document = id_of(&digitized.ok(201)[0]);

        let d = w.submit();
        let d = w.step(&w.reception, &d, json!({"action": "receive"}));
        let code = d["code"].as_str().unwrap().to_string();
        let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
        let d = w.step(&w.specialist, &d, json!({"action": "request_payment"}));
        let d = w.step(
            &w.reception,
            &d,
            json!({"action": "confirm_payment", "receipt_number": "BL-0001"}),
        );
        let result_bytes = pdf("GIAY KHAI SINH ban dien tu cua cong dan A");
        let (result_file, _) = upload(app, &w.specialist, "ket-qua.pdf", &result_bytes);
        let d = w.step(
            &w.specialist,
            &d,
            json!({"action": "submit_draft", "result_file_id": id_of(result_file.ok(201))}),
        );
        let d = w.step(&w.leader, &d, json!({"action": "approve"}));
        let returned = w.step(&w.reception, &d, json!({"action": "return_result"}));
        assert_eq!(returned["status"], "returned");
        assert_eq!(returned["fee"]["paid"], 8000, "{returned}");
        let events = app.get(
            &format!("/api/v1/dossiers/{}/events", id_of(&returned)),
            Some(&w.citizen),
        );
        let last = events.ok(200).as_array().unwrap().last().unwrap().clone();
        let result_document = last["details"]["result_document_id"]
            .as_str()
            .unwrap()
            .to_string();
        let result_code = format!("{code}-KQ1");
        assert_eq!(last["details"]["result_code"], result_code.as_str());

        let spare_procedure = id_of(
            app.post(
                "/api/v1/procedures",
                Some(&app.admin),
                w.procedure_body("1.001194", &[&w.commune]),
            )
            .ok(201),
        );
        let policy = id_of(
            app.post(
                "/api/v1/fee-policies",
                Some(&app.admin),
                json!({"name": "Miễn lệ phí gửi qua bưu chính", "legal_basis": "Nghị quyết (thử)",
                       "valid_from": "2099-01-01", "channel": "postal", "percent": 0}),
            )
            .ok(201),
        );
        let account_a = w.account_id(&w.citizen);
        Fixture {
            tokens,
            province,
            received,
            file,
            component_document,
            returned,
            result_document,
            result_code,
            result_bytes,
            account_a,
            spare_procedure,
            policy,
            year: Utc::now().year(),
            current: HashMap::new(),
            serial: 0,
            w,
        }
    }

    fn app(&self) -> &TestApp {
        &self.w.app
    }

    fn token(&self, caller: usize) -> Option<&str> {
        self.tokens[caller].as_deref()
    }

    /// After `token`'s account logged out: a renewed token wherever the fixture kept it.
    fn renew(&mut self, token: &str) {
        let renewed = self.w.app.renew_token(token);
        let w = &mut self.w;
        let kept = [
            &mut w.reception,
            &mut w.specialist,
            &mut w.leader,
            &mut w.citizen,
            &mut w.citizen_b,
            &mut w.app.admin,
        ];
        for kept in kept.into_iter().chain(self.tokens.iter_mut().flatten()) {
            if kept == token {
                kept.clone_from(&renewed);
            }
        }
    }

    /// A dossier of citizen A in `state`, taken there by the owning unit's officials.
    fn dossier_in(&self, state: &str) -> Value {
        let w = &self.w;
        let d = w.submit();
        if state == "submitted" {
            return d;
        }
        let d = w.step(&w.reception, &d, json!({"action": "receive"}));
        let d = match state {
            "received" => return d,
            "supplement_requested" => {
                let body =
                    json!({"action": "request_supplement", "missing_components": [w.component(1)]});
                return w.step(&w.reception, &d, body);
            }
            "withdrawal_requested" => return w.step(&w.citizen, &d, json!({"action": "withdraw"})),
            _ => w.step(&w.reception, &d, json!({"action": "transfer"})),
        };
        let d = match state {
            "processing" => return d,
            "awaiting_payment" => {
                return w.step(&w.specialist, &d, json!({"action": "request_payment"}))
            }
            _ => w.step(
                &w.specialist,
                &d,
                json!({"action": "submit_draft", "result_file_id": w.result_file()}),
            ),
        };
        match state {
            "drafted" => d,
            "processed" => w.step(&w.leader, &d, json!({"action": "approve"})),
            other => panic!("no way to a dossier in {other}"),
        }
    }

    /// The state a workflow probe needs, and the action's body.
    fn action(&self, probe: &str, dossier: Option<&Value>) -> (&'static str, Value) {
        let w = &self.w;
        let reason = "Hồ sơ không đủ điều kiện (thử nghiệm)";
        match probe {
            "receive" => ("submitted", json!({"action": "receive"})),
            "refuse" => ("submitted", json!({"action": "refuse", "reason": reason})),
            "request_supplement" => (
                "received",
                json!({"action": "request_supplement", "missing_components": [w.component(1)]}),
            ),
            "ask_in_processing" => (
                "processing",
                json!({"action": "request_supplement", "missing_components": [w.component(1)]}),
            ),
            "supplement" => (
                "supplement_requested",
                json!({"action": "supplement", "note": "Đã bổ sung bản rõ hơn"}),
            ),
            "transfer" => ("received", json!({"action": "transfer"})),
            "assign" => (
                "processing",
                json!({"action": "assign", "specialist_id": w.specialist_id}),
            ),
            "request_payment" => ("processing", json!({"action": "request_payment"})),
            "confirm_payment" => (
                "awaiting_payment",
                json!({"action": "confirm_payment", "receipt_number": "BL-0002"}),
            ),
            "submit_draft" => ("processing", json!({"action": "submit_draft"})),
            "approve" => ("drafted", json!({"action": "approve"})),
            "apology" => {
                let later = dossier
                    .map(|d| crate::dossiers::instant(&d["due_at"]) + chrono::TimeDelta::days(1));
                (
                    "received",
                    json!({"action": "apology", "reason": reason, "new_due_at": later}),
                )
            }
            "withdraw" => ("received", json!({"action": "withdraw"})),
            "confirm_withdrawal" => (
                "withdrawal_requested",
                json!({"action": "confirm_withdrawal"}),
            ),
            "stop" => ("received", json!({"action": "stop", "reason": reason})),
            "return_result" => ("processed", json!({"action": "return_result"})),
            other => panic!("no workflow probe {other}"),
        }
    }

    /// The request a row sends as `caller`, with whatever it needs made beforehand (a dossier
    /// in the right state, a file of the caller's).
    fn probe(&mut self, method: &str, path: &str, probe: &str, caller: usize) -> Probe {
        self.serial += 1;
        let n = self.serial;
        if path == "/api/v1/dossiers/{id}/actions" {
            let (state, _) = self.action(probe, None);
            if !self.current.contains_key(probe) {
                let fresh = self.dossier_in(state);
                self.current.insert(probe.to_string(), fresh);
            }
            let dossier = &self.current[probe];
            let (_, body) = self.action(probe, Some(dossier));
            return Probe {
                fill: Some(id_of(dossier)),
                headers: vec![("If-Match".into(), format!("\"{}\"", dossier["version"]))],
                body: json_body(body),
                ..Probe::default()
            };
        }
        let w = &self.w;
        let today = Utc::now().date_naive();
        let period = format!(
            "?unit={}&from={}-01-01&to={}-12-31",
            w.commune, self.year, self.year
        );
        let mine = |what: &str| -> String {
            match self.token(caller) {
                Some(token) => w.upload(token, what),
                None => uuid::Uuid::new_v4().to_string(),
            }
        };
        let fill = |id: &str| Some(id.to_string());
        match (method, path, probe) {
            ("GET", "/health" | "/ready" | "/metrics", "")
            | ("GET", "/api/v1/me" | "/api/v1/accounts" | "/api/v1/units", "")
            | ("GET", "/api/v1/procedures" | "/api/v1/fee-policies", "")
            | ("GET", "/api/v1/dossiers" | "/api/v1/feed/dossiers" | "/api/v1/me/documents", "") => {
                Probe::default()
            }
            ("POST", "/api/v1/auth/logout", "") => Probe::default(),
            ("POST", "/api/v1/auth/login", "") => Probe {
                body: json_body(json!({"username": NATIONAL_ID_A, "password": "Congdan2026pass"})),
                ..Probe::default()
            },
            ("POST", "/api/v1/auth/register", "") => Probe {
                body: json_body(json!({"national_id": format!("0012050{n:05}"),
                    "full_name": "Phạm Văn Mới", "phone": "0987654321",
                    "password": "Congdan2026pass"})),
                ..Probe::default()
            },
            ("POST", "/api/v1/accounts", "") => Probe {
                body: json_body(json!({"username": format!("can.bo.moi.{n}"),
                    "password": "Canbo2026pass", "full_name": "Lê Văn Mới",
                    "role": "specialist", "unit_id": w.commune})),
                ..Probe::default()
            },
            ("GET", "/api/v1/accounts/{id}", "") => Probe {
                fill: fill(&self.account_a),
                ..Probe::default()
            },
            ("PATCH", "/api/v1/accounts/{id}", "") => Probe {
                fill: fill(&self.account_a),
                body: json_body(json!({"full_name": format!("Trần Thị Công Dân {n}")})),
                ..Probe::default()
            },
            ("POST", "/api/v1/units", "") => Probe {
                body: json_body(json!({"code": format!("000.00.{:02}.H32", n % 100),
                    "name": "UBND xã Mới", "level": "commune", "parent_id": self.province})),
                ..Probe::default()
            },
            ("GET", "/api/v1/units/{id}", "") => Probe {
                fill: fill(&w.commune),
                ..Probe::default()
            },
            ("PATCH", "/api/v1/units/{id}", "") => Probe {
                fill: fill(&w.commune),
                body: json_body(json!({"name": "UBND xã Vị Thanh"})),
                ..Probe::default()
            },
            ("PUT", "/api/v1/units/{id}/digitization-plan", "") => Probe {
                fill: fill(&w.commune),
                body: json_body(json!({"periods": [{"period": "2010-2019", "planned": n}]})),
                ..Probe::default()
            },
            ("POST", "/api/v1/units/{id}/historical-results", "") => Probe {
                fill: fill(&w.commune),
                body: json_body(json!({"owner_national_id": NATIONAL_ID_A,
                    "result_number": format!("{n}/2015/KS"), "title": "Giấy khai sinh (bản giấy)",
                    "issued_on": "2015-06-01", "file_id": mine("ban quet giay khai sinh cu")})),
                ..Probe::default()
            },
            ("GET", "/api/v1/calendar/deadline", "") => Probe {
                query: format!(
                    "?start={}&amount=1&unit=working_days",
                    encode("2026-11-23T15:00:00+07:00")
                ),
                ..Probe::default()
            },
            ("GET", "/api/v1/calendar/{year}", "") => Probe {
                fill: fill("2100"),
                ..Probe::default()
            },
            ("PUT", "/api/v1/calendar/{year}", "") => Probe {
                fill: fill("2100"),
                body: json_body(json!({"days": [
                    {"date": "2100-01-01", "kind": "holiday", "name": "Tết Dương lịch"},
                    {"date": format!("2100-02-{:02}", 1 + n % 28), "kind": "holiday", "name": "Nghỉ (thử)"}]})),
                ..Probe::default()
            },
            ("POST", "/api/v1/procedures", "") => Probe {
                body: json_body(w.procedure_body(&format!("1.{:06}", 2000 + n), &[&w.commune])),
                ..Probe::default()
            },
            ("GET", "/api/v1/procedures/{id}" | "/api/v1/procedures/{id}/fee-quote", "") => Probe {
                fill: fill(w.procedure["id"].as_str().unwrap()),
                ..Probe::default()
            },
            ("POST", "/api/v1/procedures/{id}/versions", "") => {
                let mut body = w.procedure_body("1.001194", &[&w.commune]);
                body["valid_from"] = json!(today + chrono::TimeDelta::days(n as i64));
                Probe {
                    fill: fill(&self.spare_procedure),
                    body: json_body(body),
                    ..Probe::default()
                }
            }
            ("POST", "/api/v1/fee-policies", "") => Probe {
                body: json_body(
                    json!({"name": format!("Chính sách {n}"), "legal_basis": "NQ (thử)",
                    "valid_from": "2099-01-01", "channel": "postal", "percent": 50}),
                ),
                ..Probe::default()
            },
            ("GET", "/api/v1/webhooks" | "/api/v1/notifications", "") => Probe::default(),
            ("GET", "/dashboard", "") | ("POST", "/dashboard/logout", "") => Probe::default(),
            ("POST", "/dashboard/login", "wrong_password") => Probe {
                body: Some((
                    "application/x-www-form-urlencoded".to_string(),
                    b"username=admin&password=not-the-password".to_vec(),
                )),
                ..Probe::default()
            },
            ("POST", "/api/v1/webhooks", "") => Probe {
                body: json_body(json!({"name": format!("Hệ thống {n}"),
                    "url": "http://127.0.0.1:9/hook", "events": ["dossier.*"]})),
                ..Probe::default()
            },
            ("DELETE", "/api/v1/webhooks/{id}", "") => {
                let made = w.app.post(
                    "/api/v1/webhooks",
                    Some(&w.app.admin),
                    json!({"name": format!("Hệ thống {n}"), "url": "http://127.0.0.1:9/hook",
                           "events": ["dossier.receive"]}),
                );
                Probe {
                    fill: Some(made.ok(201)["id"].as_str().unwrap().to_string()),
                    ..Probe::default()
                }
            }
            ("POST", "/api/v1/notifications/{id}/retry", "") => Probe {
                fill: Some(dead_notification(&w.app)),
                ..Probe::default()
            },
            ("GET", "/api/v1/fee-policies/{id}", "") => Probe {
                fill: fill(&self.policy),
                ..Probe::default()
            },
            ("PATCH", "/api/v1/fee-policies/{id}", "") => Probe {
                fill: fill(&self.policy),
                body: json_body(json!({"name": format!("Miễn lệ phí {n}")})),
                ..Probe::default()
            },
            ("POST", "/api/v1/files", "") => {
                let (content_type, body) =
                    multipart(&[("file", "scan.pdf", &pdf(&format!("ban quet {n}")))]);
                Probe {
                    body: Some((content_type, body)),
                    ..Probe::default()
                }
            }
            ("GET", "/api/v1/files/{id}/content", "") => Probe {
                fill: fill(&self.file),
                ..Probe::default()
            },
            ("POST", "/api/v1/dossiers", "online") => Probe {
                body: json_body(json!({"procedure_id": w.procedure["id"], "channel": "online"})),
                ..Probe::default()
            },
            ("POST", "/api/v1/dossiers", "in_person") => Probe {
                body: json_body(
                    json!({"procedure_id": w.procedure["id"], "channel": "in_person",
                    "applicant": {"national_id": NATIONAL_ID_A, "full_name": "Trần Thị Công Dân"}}),
                ),
                ..Probe::default()
            },
            (
                "GET",
                "/api/v1/dossiers/{id}"
                | "/api/v1/dossiers/{id}/events"
                | "/api/v1/dossiers/{id}/receipt",
                "",
            ) => Probe {
                fill: fill(&id_of(&self.received)),
                ..Probe::default()
            },
            ("GET", "/api/v1/dossiers/{id}/fee-receipt", "") => Probe {
                fill: fill(&id_of(&self.received)),
                query: "?format=json".into(),
                ..Probe::default()
            },
            ("POST", "/api/v1/dossiers/{id}/digitize", "") => Probe {
                fill: fill(&id_of(&self.received)),
                body: json_body(json!({})),
                ..Probe::default()
            },
            ("POST", "/api/v1/dossiers/{id}/rating", "") => Probe {
                fill: fill(&id_of(&self.returned)),
                body: json_body(json!({"rating": "satisfied", "comment": "Nhanh gọn"})),
                ..Probe::default()
            },
            ("POST", "/api/v1/imports/dossiers", "") => {
                let line = json!({"procedure_code": w.procedure["code"],
                    "receiving_unit_code": "000.00.12.H30", "channel": "in_person",
                    "applicant": {"national_id": format!("0010990{n:05}"), "full_name": "Nguyễn Văn Dân"},
                    "history": [{"status": "received", "at": "2026-03-30T08:00:00+07:00"}]});
                Probe {
                    body: Some((
                        "application/x-ndjson".into(),
                        format!("{line}\n").into_bytes(),
                    )),
                    ..Probe::default()
                }
            }
            ("POST", "/api/v1/payments/callback", "unsigned") => Probe {
                headers: vec![("X-Signature".into(), "00".repeat(32))],
                body: json_body(json!({"transaction_id": format!("VNPAY-{n}"),
                    "dossier_id": id_of(&self.received), "amount": 8000,
                    "paid_at": "2026-11-23T10:00:00+07:00"})),
                ..Probe::default()
            },
            (
                "GET" | "DELETE",
                "/api/v1/documents/{id}" | "/api/v1/documents/{id}/content",
                which,
            ) => Probe {
                fill: fill(match which {
                    "component" => &self.component_document,
                    "result" => &self.result_document,
                    other => panic!("no document {other}"),
                }),
                ..Probe::default()
            },
            ("GET", "/api/v1/results/{code}/verify", "") => Probe {
                fill: fill(&self.result_code),
                query: format!("?sha256={}", sha256(&self.result_bytes)),
                ..Probe::default()
            },
            ("POST", "/api/v1/results/{code}/verify", "") => {
                let (content_type, body) = multipart(&[("file", "kq.pdf", &self.result_bytes)]);
                Probe {
                    fill: fill(&self.result_code),
                    body: Some((content_type, body)),
                    ..Probe::default()
                }
            }
            ("POST", "/api/v1/public/dossier-status", "") => Probe {
                body: json_body(
                    json!({"code": self.received["code"], "national_id": NATIONAL_ID_A}),
                ),
                ..Probe::default()
            },
            ("GET", "/api/v1/reports/series", "") => Probe {
                query: format!("{period}&metric=received_online"),
                ..Probe::default()
            },
            ("GET", "/api/v1/reports/digitization", "") => Probe {
                query: format!("?unit={}", w.commune),
                ..Probe::default()
            },
            ("GET", report, "") if report.starts_with("/api/v1/reports/") => Probe {
                query: period,
                ..Probe::default()
            },
            (method, path, probe) => panic!("no probe for {method} {path} [{probe}]"),
        }
    }
}

fn send(app: &TestApp, method: &str, path: &str, token: Option<&str>, probe: &Probe) -> Answer {
    let headers: Vec<(&str, &str)> = probe
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let body = probe
        .body
        .as_ref()
        .map(|(content_type, bytes)| (content_type.as_str(), bytes.clone()));
    app.send_with(method, path, token, &headers, body).0
}

/// What a client can tell from an answer: its status, its type and its body without the
/// request id.
fn shape(answer: &Answer) -> (u16, String, Value) {
    let mut body = answer.body.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove("request_id");
    }
    (answer.status, answer.content_type.clone(), body)
}

/// What the database holds, in figures that any accepted write changes: the rows of every table
/// a request may write, the dossiers' versions, and the last update of the tables updated in
/// place.
fn snapshot(app: &TestApp) -> Vec<(String, String)> {
    #[derive(QueryableByName)]
    struct Figure {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        value: String,
    }
    let tables = [
        "accounts",
        "units",
        "calendar_days",
        "procedures",
        "files",
        "dossiers",
        "dossier_components",
        "dossier_events",
        "dossier_ratings",
        "idempotency_keys",
        "fee_policies",
        "fee_policy_targets",
        "dossier_fees",
        "dossier_payments",
        "documents",
        "dossier_results",
        "digitization_plans",
    ];
    let mut parts: Vec<String> = tables
        .iter()
        .map(|t| format!("SELECT '{t}' AS name, CAST(COUNT(*) AS TEXT) AS value FROM {t}"))
        .collect();
    parts.push(
        "SELECT 'dossier versions' AS name, CAST(COALESCE(SUM(version), 0) AS TEXT) AS value \
         FROM dossiers"
            .to_string(),
    );
    for t in ["accounts", "units", "fee_policies", "dossiers"] {
        parts.push(format!(
            "SELECT '{t} updated' AS name, COALESCE(CAST(MAX(updated_at) AS TEXT), '') AS value \
             FROM {t}"
        ));
    }
    parts.push(
        "SELECT 'digitization planned' AS name, CAST(COALESCE(SUM(planned), 0) AS TEXT) AS value \
         FROM digitization_plans"
            .to_string(),
    );
    let mut conn = app.pool.get().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query(parts.join(" UNION ALL "))
        .load::<Figure>(conn)
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.value))
        .collect()
}

#[test]
fn every_operation_answers_every_caller_as_the_policy_table_says() {
    let mut f = Fixture::new();
    let mut failures: Vec<String> = Vec::new();
    let mut cells = 0;
    for (method, template, probe, expected) in POLICY {
        for (caller, want) in expected.iter().enumerate() {
            cells += 1;
            let request = f.probe(method, template, probe, caller);
            let path = request.path(template);
            let token = f.token(caller).map(str::to_string);
            let before = snapshot(f.app());
            let answer = send(f.app(), method, &path, token.as_deref(), &request);
            let what = format!("{method} {template} [{probe}] as {}", CALLERS[caller]);
            let Some(got) = classify(answer.status) else {
                failures.push(format!("{what}: {} {}", answer.status, answer.text));
                continue;
            };
            if got != *want {
                failures.push(format!(
                    "{what}: expected {want:?}, got {got:?}: {} {}",
                    answer.status, answer.text
                ));
            }
            if let (A, true, Some(token)) = (got, template.ends_with("/logout"), &token) {
                f.renew(token);
            }
            if got == A {
                // A dossier an action was taken on has moved on: the next caller gets a fresh one.
                f.current.remove(*probe);
                continue;
            }
            if snapshot(f.app()) != before {
                failures.push(format!(
                    "{what}: answered {} but wrote to the database",
                    answer.status
                ));
            }
            // A 404 tells nothing: an id that does not exist answers the same.
            if got == H && request.fill.is_some() {
                let unknown = Probe {
                    fill: Some(match template.contains("{code}") {
                        true => format!("{}9", f.result_code),
                        false => uuid::Uuid::new_v4().to_string(),
                    }),
                    ..request
                };
                let other = send(
                    f.app(),
                    method,
                    &unknown.path(template),
                    token.as_deref(),
                    &unknown,
                );
                if shape(&other) != shape(&answer) {
                    failures.push(format!(
                        "{what}: its 404 differs from an unknown id's: {} vs {}",
                        answer.text, other.text
                    ));
                }
            }
        }
    }
    assert_eq!(cells, POLICY.len() * CALLERS.len());
    assert!(
        failures.is_empty(),
        "{} of {cells} answers break the policy:\n{}",
        failures.len(),
        failures.join("\n")
    );
    lists_agree_with_the_policy(&f);
}

/// Who finds A's dossiers and documents in their lists is who may read them one by one; citizen
/// B finds nothing of A's.
fn lists_agree_with_the_policy(f: &Fixture) {
    let app = f.app();
    let (.., reads) = POLICY
        .iter()
        .find(|(m, p, ..)| *m == "GET" && *p == "/api/v1/dossiers/{id}")
        .unwrap();
    let a_dossiers = [id_of(&f.received), id_of(&f.returned)];
    for (caller, read) in reads.iter().enumerate() {
        if caller == ANONYMOUS {
            continue;
        }
        let list = app.get("/api/v1/dossiers?limit=100", f.token(caller));
        let items: Vec<Value> = match list.status {
            200 => list.body["items"].as_array().unwrap().clone(),
            403 => Vec::new(),
            other => panic!("the list as {}: {other} {}", CALLERS[caller], list.text),
        };
        assert!(items.len() < 100, "one page holds them all");
        for id in &a_dossiers {
            let listed = items.iter().any(|d| d["id"] == id.as_str());
            assert_eq!(
                listed,
                *read == A,
                "{id} in the list of {}",
                CALLERS[caller]
            );
        }
        if caller == CITIZEN_B {
            assert!(
                items
                    .iter()
                    .all(|d| d["applicant"]["national_id"] != NATIONAL_ID_A),
                "{items:?}"
            );
        }
    }
    let store = |caller: usize| -> Vec<Value> {
        app.get("/api/v1/me/documents?limit=100", f.token(caller))
            .ok(200)["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    let mine = store(CITIZEN_A);
    for document in [&f.component_document, &f.result_document] {
        assert!(mine.iter().any(|d| d["id"] == document.as_str()));
    }
    assert!(
        store(CITIZEN_B)
            .iter()
            .all(|d| d["owner_national_id"] != NATIONAL_ID_A),
        "citizen B's store holds none of A's documents"
    );
}

/// Looking up by code tells nothing to whoever does not hold what the look-up asks for: the
/// public status of a dossier needs its applicant's national id, a result's check needs the
/// result's content, and a wrong one answers exactly like a code that was never issued. Codes
/// are guessable (`<unit>-<yyMMdd>-<NNNN>`, then `-KQ<n>`), so any other answer would let
/// anyone enumerate who was served when.
#[test]
fn codes_cannot_be_enumerated() {
    let f = Fixture::new();
    let app = f.app();
    let before = snapshot(app);
    let status = |code: &str, national_id: &str| -> Answer {
        app.post(
            "/api/v1/public/dossier-status",
            None,
            json!({"code": code, "national_id": national_id}),
        )
    };
    let code = f.received["code"].as_str().unwrap();
    let found = status(code, NATIONAL_ID_A);
    let mut fields: Vec<&String> = found.ok(200).as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "apology_due_at",
            "due_at",
            "national_status_code",
            "procedure_name",
            "status"
        ]
    );
    let (prefix, sequence) = code.rsplit_once('-').unwrap();
    let next = format!("{prefix}-{:04}", sequence.parse::<u32>().unwrap() + 100);
    let returned = f.returned["code"].as_str().unwrap();
    let unknown = status(&next, NATIONAL_ID_A);
    unknown.problem(404, "not_found");
    for (code, national_id) in [
        (code, "079203004567"),
        (returned, "079203004567"),
        (code, "001099012346"),
        (&format!(" {code} "), "079203004567"),
        ("000.00.12.H30", NATIONAL_ID_A),
        ("khong-phai-ma", NATIONAL_ID_A),
    ] {
        let answer = status(code, national_id);
        assert_eq!(shape(&answer), shape(&unknown), "{code} with {national_id}");
    }

    let issued = &f.result_code;
    let right = sha256(&f.result_bytes);
    let wrong = sha256(b"%PDF-1.4\nmot ban khac");
    let by_digest = |code: &str, digest: &str| {
        app.get(
            &format!("/api/v1/results/{code}/verify?sha256={digest}"),
            None,
        )
    };
    let genuine = by_digest(issued, &right);
    assert_eq!(genuine.ok(200)["authentic"], true);
    let never = format!("{}-KQ2", returned);
    let unknown = by_digest(&never, &wrong);
    unknown.problem(404, "not_found");
    for (code, digest) in [(issued.as_str(), wrong.as_str()), (&never, &right)] {
        let answer = by_digest(code, digest);
        assert_eq!(shape(&answer), shape(&unknown), "{code} with {digest}");
    }
    let by_file = |code: &str, bytes: &[u8]| {
        let (content_type, body) = multipart(&[("file", "kq.pdf", bytes)]);
        let path = format!("/api/v1/results/{code}/verify");
        app.send_with("POST", &path, None, &[], Some((&content_type, body)))
            .0
    };
    assert_eq!(by_file(issued, &f.result_bytes).ok(200)["authentic"], true);
    let forged = pdf("GIAY KHAI SINH ban gia mao");
    let unknown = by_file(&never, &forged);
    unknown.problem(404, "not_found");
    assert_eq!(shape(&by_file(issued, &forged)), shape(&unknown));
    assert_eq!(snapshot(app), before, "look-ups write nothing");
}

/// Naming someone else's file or document in a body answers exactly like naming one that does
/// not exist, and takes nothing in.
#[test]
fn foreign_ids_in_a_body_answer_like_unknown_ones() {
    let f = Fixture::new();
    let w = &f.w;
    let app = f.app();
    let unknown = || uuid::Uuid::new_v4().to_string();
    let same = |what: &str, send: &dyn Fn(&str) -> Answer, foreign: &str, status: u16| {
        let before = snapshot(app);
        let theirs = send(foreign);
        assert_eq!(theirs.status, status, "{what}: {}", theirs.text);
        assert_eq!(shape(&theirs), shape(&send(&unknown())), "{what}");
        assert_eq!(snapshot(app), before, "{what} wrote nothing");
    };

    // Citizen B submits with A's document or A's file.
    let second = w.upload(&w.citizen_b, "giay chung sinh");
    let submit_with = |component: Value| {
        app.post(
            "/api/v1/dossiers",
            Some(&w.citizen_b),
            json!({"procedure_id": w.procedure["id"], "channel": "online",
                   "components": [component, {"component_id": w.component(1), "file_id": second}]}),
        )
    };
    same(
        "B reuses A's document",
        &|id| submit_with(json!({"component_id": w.component(0), "document_id": id})),
        &f.component_document,
        404,
    );
    same(
        "B submits A's file",
        &|id| submit_with(json!({"component_id": w.component(0), "file_id": id})),
        &f.file,
        422,
    );

    // B supplements their own dossier with A's document or file.
    let own = app
        .post(
            "/api/v1/dossiers",
            Some(&w.citizen_b),
            json!({"procedure_id": w.procedure["id"], "channel": "online",
                   "components": w.components(&w.citizen_b)}),
        )
        .ok(201)
        .clone();
    let own = w.step(&w.reception, &own, json!({"action": "receive"}));
    let own = w.step(
        &w.reception,
        &own,
        json!({"action": "request_supplement", "missing_components": [w.component(0)]}),
    );
    let supplement = |component: Value| {
        w.act(
            &w.citizen_b,
            &own,
            json!({"action": "supplement", "components": [component]}),
        )
    };
    same(
        "B supplements with A's document",
        &|id| supplement(json!({"component_id": w.component(0), "document_id": id})),
        &f.component_document,
        404,
    );
    same(
        "B supplements with A's file",
        &|id| supplement(json!({"component_id": w.component(0), "file_id": id})),
        &f.file,
        422,
    );

    // An official names a file they did not upload.
    same(
        "the desk registers a historical result with A's file",
        &|id| {
            app.post(
                &format!("/api/v1/units/{}/historical-results", w.commune),
                Some(&w.reception),
                json!({"owner_national_id": NATIONAL_ID_A, "result_number": "1/2015/KS",
                       "title": "Giấy khai sinh", "issued_on": "2015-06-01", "file_id": id}),
            )
        },
        &f.file,
        422,
    );
    let processing = f.dossier_in("processing");
    let elsewhere = w.upload(f.token(7).unwrap(), "ket qua cua xa khac");
    same(
        "the specialist drafts with another unit's file",
        &|id| {
            w.act(
                &w.specialist,
                &processing,
                json!({"action": "submit_draft", "result_file_id": id}),
            )
        },
        &elsewhere,
        422,
    );
}

// The sweeps over an empty service.

/// Every (method, path with its parameters filled in, secured) of the document.
fn operations(app: &TestApp) -> Vec<(String, String, bool)> {
    let document = app.get("/api-docs/openapi.json", None).ok(200).clone();
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(op) = item.get(method) else { continue };
            // Secured: a bearer token is one way in, and no way in is anonymous (`{}`, the
            // dashboard's, whose anonymous callers get its login form).
            let secured = op["security"].as_array().is_some_and(|s| {
                s.iter().any(|r| r.get("bearer").is_some())
                    && !s
                        .iter()
                        .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            let filled = path
                .replace("{year}", "2026")
                .replace("{code}", "000.00.12.H30-261201-0001")
                .replace("{id}", "01a23188-83fc-706c-98e0-f8038dc331fd");
            out.push((method.to_uppercase(), filled, secured));
        }
    }
    out
}

fn send_empty(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let body =
        (method != "GET" && method != "DELETE").then(|| ("application/json", b"{}".to_vec()));
    let answer = app.send(method, path, token, body);
    (answer.status, answer.body)
}

#[test]
fn every_secured_operation_refuses_anonymous_callers_and_none_fails() {
    let app = TestApp::spawn();
    let operations = operations(&app);
    assert!(operations.len() > 50, "{}", operations.len());
    for (method, path, secured) in &operations {
        let (status, body) = send_empty(&app, method, path, None);
        assert!(status < 500, "{method} {path}: {status} {body}");
        if *secured {
            assert_eq!(status, 401, "{method} {path} without a token: {body}");
        } else {
            assert_ne!(
                status, 401,
                "{method} {path} is open but answered 401: {body}"
            );
        }
    }
}

#[test]
fn a_citizen_gets_nothing_from_operations_that_are_not_theirs() {
    let app = TestApp::spawn();
    let mut citizen = app.citizen("001099012345");
    // What a citizen may call at all; everything else must be 403 or 404 (or a 4xx about the
    // empty body, for operations whose body is checked before the role).
    let theirs = [
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/me/documents",
        "/api/v1/dossiers",
        "/api/v1/files",
    ];
    for (method, path, secured) in operations(&app) {
        if !secured {
            continue;
        }
        let (status, body) = send_empty(&app, &method, &path, Some(&citizen));
        assert!(status < 500, "{method} {path}: {status} {body}");
        if path == "/api/v1/auth/logout" {
            assert_eq!(status, 204, "{body}");
            citizen = app.renew_token(&citizen);
        }
        if theirs.contains(&path.as_str()) || path.starts_with("/api/v1/dossiers/") {
            continue;
        }
        assert!(
            matches!(status, 400 | 403 | 404 | 415 | 422),
            "{method} {path} as a citizen: {status} {body}"
        );
        assert_ne!(status / 100, 2, "{method} {path} as a citizen: {body}");
    }
}

/// A dead notification in the outbox, written straight to the database (making one through
/// the service takes every retry of a failing delivery).
fn dead_notification(app: &crate::common::TestApp) -> String {
    use diesel::prelude::*;
    let mut message = motcua::store::outbox::Notification::new(
        "webhook",
        "dossier.receive",
        &uuid::Uuid::new_v4().to_string(),
        None,
        String::new(),
        "{}".to_string(),
        Utc::now().naive_utc(),
    );
    message.status = "dead".to_string();
    let mut conn = app.pool.get().unwrap();
    diesel::insert_into(motcua::db::schema::notifications::table)
        .values(&message)
        .execute(&mut *conn)
        .unwrap();
    message.id.to_string()
}
