//! Report downloads: the reports as CSV and XLSX, chosen by `?format=` or the `Accept` header,
//! with English (field names) or Vietnamese headers, and the JSON left as it was.

use std::io::Read;

use chrono::Utc;
use serde_json::{json, Value};

use crate::dossiers::World;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const BOM: &str = "\u{feff}";

fn period() -> String {
    let now = Utc::now().with_timezone(&TZ);
    format!(
        "from={}&to={}",
        now.format("%Y-%m-01"),
        now.format("%Y-%m-%d")
    )
}

/// A world with one dossier received at the commune, and a supervisor's token.
fn scenario() -> (World, String) {
    let w = World::new();
    let supervisor = w.app.official("giam.sat", "supervisor", None);
    let d = w.submit();
    w.step(&w.reception, &d, json!({"action": "receive"}));
    (w, supervisor)
}

/// A GET answering with raw bytes: status, content type, content disposition and body.
pub fn download(
    app: &crate::common::TestApp,
    token: &str,
    path: &str,
    accept: Option<&str>,
) -> (u16, String, String, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent
        .get(format!("{}{path}", app.base))
        .header("Authorization", format!("Bearer {token}"));
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let mut response = request.call().unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_vec().unwrap();
    (status, content_type, disposition, body)
}

/// The records of a CSV download, after checking its byte order mark.
pub fn records(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let text = text.strip_prefix(BOM).expect("a byte order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

pub fn cell<'a>(records: &'a [Vec<String>], row: usize, column: &str) -> &'a str {
    let at = records[0]
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column} in {:?}", records[0]));
    &records[row][at]
}

#[test]
fn the_unit_report_downloads_as_csv_and_xlsx() {
    let (w, supervisor) = scenario();
    let base = format!("/api/v1/reports/units?{}&unit={}", period(), w.commune);

    // CSV: the JSON field names as headers, the commune's row, then the total.
    let (status, content_type, disposition, body) =
        download(&w.app, &supervisor, &format!("{base}&format=csv"), None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let today = Utc::now().with_timezone(&TZ);
    assert_eq!(
        disposition,
        format!(
            "attachment; filename=\"units-{}-{}.csv\"",
            today.format("%Y-%m-01"),
            today.format("%Y-%m-%d")
        )
    );
    let csv = records(&body);
    assert_eq!(csv.len(), 3, "header, the commune, the total: {csv:?}");
    assert_eq!(
        csv[0][..6],
        [
            "unit_code",
            "unit_name",
            "carried_over",
            "received_online",
            "received_desk",
            "received"
        ]
    );
    assert_eq!(csv[0].len(), 2 + 33, "every figure is a column");
    assert_eq!(csv[0].last().unwrap(), "satisfaction");
    assert_eq!(cell(&csv, 1, "unit_code"), "000.00.12.H30");
    assert_eq!(cell(&csv, 1, "received"), "1");
    assert_eq!(cell(&csv, 1, "received_online"), "1");
    assert_eq!(cell(&csv, 1, "online_ratio"), "100");
    assert_eq!(cell(&csv, 1, "late_rate"), "0");
    assert_eq!(cell(&csv, 1, "digitization_ratio"), "", "not applicable");
    assert_eq!(cell(&csv, 2, "unit_code"), "Total");
    assert_eq!(cell(&csv, 2, "unit_name"), "");
    assert_eq!(cell(&csv, 2, "received"), "1");

    // Vietnamese headers.
    let (_, _, _, body) = download(
        &w.app,
        &supervisor,
        &format!("{base}&format=csv&lang=vi"),
        None,
    );
    let csv = records(&body);
    assert_eq!(csv[0][0], "Mã đơn vị");
    assert!(
        csv[0].iter().any(|h| h == "Tiếp nhận trực tuyến"),
        "{:?}",
        csv[0]
    );
    assert_eq!(cell(&csv, 1, "Tổng tiếp nhận"), "1");
    assert_eq!(cell(&csv, 2, "Mã đơn vị"), "Tổng cộng");

    // XLSX: a zip holding one worksheet, the headers among its strings.
    let (status, content_type, disposition, body) =
        download(&w.app, &supervisor, &format!("{base}&format=xlsx"), None);
    assert_eq!(status, 200);
    assert_eq!(content_type, XLSX);
    assert!(disposition.ends_with(".xlsx\""), "{disposition}");
    assert!(body.starts_with(b"PK"), "a zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    assert!(zip.by_name("xl/worksheets/sheet1.xml").is_ok());
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut strings)
        .unwrap();
    assert!(strings.contains("received_online"), "{strings}");
    assert!(strings.contains("000.00.12.H30"));
    assert!(strings.contains("Total"));

    // The Accept header alone chooses; the query parameter wins over it.
    let (status, content_type, _, body) = download(&w.app, &supervisor, &base, Some("text/csv"));
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/csv; charset=utf-8")
    );
    assert_eq!(records(&body)[0][0], "unit_code");
    let (_, content_type, _, _) = download(&w.app, &supervisor, &base, Some(XLSX));
    assert_eq!(content_type, XLSX);
    let (_, content_type, _, body) = download(
        &w.app,
        &supervisor,
        &format!("{base}&format=json"),
        Some("text/csv"),
    );
    assert_eq!(content_type, "application/json");
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["rows"][0]["received"], 1);
    // Nothing acceptable: JSON.
    let (status, content_type, _, _) = download(&w.app, &supervisor, &base, Some("image/png"));
    assert_eq!((status, content_type.as_str()), (200, "application/json"));

    // The JSON is as it was, with or without format=json.
    let mut plain = w.app.get(&base, Some(&supervisor)).ok(200).clone();
    let mut explicit = w
        .app
        .get(&format!("{base}&format=json&lang=vi"), Some(&supervisor))
        .ok(200)
        .clone();
    for report in [&mut plain, &mut explicit] {
        report.as_object_mut().unwrap().remove("judged_at");
    }
    assert_eq!(plain, explicit);
    assert_eq!(plain["rows"][0]["unit_code"], "000.00.12.H30");
    assert!(plain["rows"][0].get("unit_id").is_some());

    // An unknown format or language is a bad request.
    w.app
        .get(&format!("{base}&format=pdf"), Some(&supervisor))
        .problem(400, "invalid_query");
    w.app
        .get(&format!("{base}&format=csv&lang=fr"), Some(&supervisor))
        .problem(400, "invalid_query");
}

#[test]
fn the_other_reports_download_too() {
    let (w, supervisor) = scenario();
    let query = format!("{}&unit={}", period(), w.commune);

    // Indicators: one row per indicator, titled in the language asked for, then the total.
    let json = w
        .app
        .get(
            &format!("/api/v1/reports/indicators?{query}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    let indicators = json["indicators"].as_array().unwrap();
    let (_, content_type, disposition, body) = download(
        &w.app,
        &supervisor,
        &format!("/api/v1/reports/indicators?{query}&format=csv"),
        None,
    );
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(
        disposition.contains("filename=\"indicators-"),
        "{disposition}"
    );
    let csv = records(&body);
    assert_eq!(
        csv[0],
        [
            "key",
            "title",
            "group",
            "numerator",
            "denominator",
            "rate",
            "threshold",
            "max_points",
            "score"
        ]
    );
    assert_eq!(csv.len(), indicators.len() + 2);
    assert_eq!(cell(&csv, 1, "key"), indicators[0]["key"].as_str().unwrap());
    assert_eq!(
        cell(&csv, 1, "title"),
        indicators[0]["title"].as_str().unwrap()
    );
    let last = csv.len() - 1;
    assert_eq!(cell(&csv, last, "key"), "Total");
    assert_eq!(
        cell(&csv, last, "score").parse::<f64>().unwrap(),
        json["score"].as_f64().unwrap()
    );
    let (_, _, _, body) = download(
        &w.app,
        &supervisor,
        &format!("/api/v1/reports/indicators?{query}&format=csv&lang=vi"),
        None,
    );
    let csv = records(&body);
    assert_eq!(csv[0][1], "Chỉ số");
    assert_eq!(
        cell(&csv, 1, "Chỉ số"),
        indicators[0]["title_vi"].as_str().unwrap()
    );

    // Procedures and fields: their identifying columns, then the figures, then the total.
    let (status, _, _, body) = download(
        &w.app,
        &supervisor,
        &format!("/api/v1/reports/procedures?{query}&format=csv"),
        None,
    );
    assert_eq!(status, 200);
    let csv = records(&body);
    assert_eq!(
        csv[0][..5],
        [
            "procedure_code",
            "procedure_name",
            "field",
            "time_unit",
            "average_processing_time"
        ]
    );
    assert_eq!(cell(&csv, 1, "received"), "1");
    assert_eq!(cell(&csv, csv.len() - 1, "procedure_code"), "Total");
    let (_, _, _, body) = download(
        &w.app,
        &supervisor,
        &format!("/api/v1/reports/fields?{query}&format=csv&lang=vi"),
        None,
    );
    let csv = records(&body);
    assert_eq!(csv[0][0], "Lĩnh vực");
    assert_eq!(cell(&csv, csv.len() - 1, "Lĩnh vực"), "Tổng cộng");

    // A series: one row per month.
    let (_, content_type, disposition, body) = download(
        &w.app,
        &supervisor,
        &format!("/api/v1/reports/series?metric=received&{query}&format=xlsx"),
        None,
    );
    assert_eq!(content_type, XLSX);
    assert!(
        disposition.contains("filename=\"series-received-"),
        "{disposition}"
    );
    assert!(body.starts_with(b"PK"));
    let (_, _, _, body) = download(
        &w.app,
        &supervisor,
        &format!("/api/v1/reports/series?metric=received&{query}"),
        Some("text/csv"),
    );
    let csv = records(&body);
    assert_eq!(csv[0], ["month", "from", "to", "value"]);
    assert_eq!(csv.len(), 2);
    assert_eq!(cell(&csv, 1, "value"), "1");

    // Who may not read the JSON may not download it either.
    let (status, _, _, _) = download(
        &w.app,
        &w.citizen,
        &format!("/api/v1/reports/units?{query}&format=csv"),
        None,
    );
    assert_eq!(status, 403);
}
