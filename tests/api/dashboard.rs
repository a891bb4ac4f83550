//! `/dashboard`: the supervisors' page shows the figures the report endpoints give for the same
//! period and units (the scaled-down Hậu Giang of `report_fixture.rs`); the login form sets an
//! HttpOnly session cookie that the page reads; who may see what follows the reports; bad input
//! and refusals are HTML pages, not problem documents or 500s; names from the database are
//! escaped; the Content-Security-Policy allows nothing external. And the page in a real headless
//! Chromium on the demo province (`tests/browser/dashboard.mjs`), with a screenshot.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::common::TestApp;
use crate::report_fixture::{april, import, province};

/// An HTTP answer with its headers, without following redirects.
struct Page {
    status: u16,
    headers: Vec<(String, String)>,
    text: String,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    fn html(&self, status: u16) -> &str {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{}",
            self.text
        );
        let csp = self.header("content-security-policy").expect("a CSP");
        assert!(
            csp.starts_with("default-src 'none'; style-src 'nonce-")
                && csp.contains("img-src data:")
                && csp.contains("form-action 'self'")
                && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(self.header("cache-control"), Some("no-store"));
        // No script and nothing to fetch from elsewhere.
        let text = self.text.as_str();
        assert!(!text.contains("<script"), "{text}");
        assert!(!text.contains("src=") && !text.contains("url("), "{text}");
        assert!(!text.contains("http://") && !text.contains("https://"));
        // Styles only in the stylesheet its nonce allows (the policy refuses style attributes).
        assert!(!text.contains(" style="), "{text}");
        assert_eq!(text.matches("<style nonce=").count(), 1);
        text
    }
}

/// Sends a request with `headers` and an optional (content type, body).
fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> Page {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let result = match body {
        Some((content_type, body)) => agent.run(
            request
                .header("Content-Type", content_type)
                .body(body.to_string())
                .unwrap(),
        ),
        None => agent.run(request.body(()).unwrap()),
    };
    let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Page {
        status: response.status().as_u16(),
        headers,
        text: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn get(app: &TestApp, path: &str, token: &str) -> Page {
    send(
        app,
        "GET",
        path,
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    )
}

fn form(app: &TestApp, username: &str, password: &str, extra: &[(&str, &str)]) -> Page {
    let body = format!(
        "username={}&password={}",
        crate::common::encode(username),
        crate::common::encode(password)
    );
    send(
        app,
        "POST",
        "/dashboard/login",
        extra,
        Some(("application/x-www-form-urlencoded", &body)),
    )
}

/// The part of the page from `marker` to the end of its table row.
fn row<'a>(text: &'a str, marker: &str) -> &'a str {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in the page"));
    let rest = &text[start..];
    &rest[..rest.find("</tr>").unwrap_or(rest.len())]
}

/// The value of the headline tile of `metric`.
fn tile<'a>(text: &'a str, metric: &str) -> &'a str {
    let marker = format!(r#"<div class="tile" data-metric="{metric}">"#);
    let start = text.find(&marker).unwrap_or_else(|| panic!("{marker}"));
    let rest = &text[start..];
    let value = &rest[rest.find(r#"<div class="v">"#).unwrap() + 15..];
    &value[..value.find("</div>").unwrap()]
}

fn percent(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "—".to_string(), |v| format!("{v:.2}%"))
}

#[test]
fn the_dashboard_shows_the_figures_of_the_report_endpoints() {
    let p = province();
    assert_eq!(import(&p.app, &april()).ok(201)["imported"], 45);
    let period = "from=2026-04-01&to=2026-04-30";
    let page = get(&p.app, &format!("/dashboard?{period}"), &p.supervisor);
    let text = page.html(200);
    // The hand-computed figures of the fixture: 39 received, 22 online, 30 of 41 on time.
    assert_eq!(tile(text, "on_time_rate"), "73.17%");
    assert_eq!(tile(text, "online_ratio"), "56.41%");
    assert_eq!(tile(text, "received"), "39");
    assert_eq!(tile(text, "finished"), "31");
    assert_eq!(tile(text, "open_overdue"), "4");

    // Every unit's row shows what /reports/units gives for it.
    let report = p
        .app
        .get(
            &format!("/api/v1/reports/units?{period}"),
            Some(&p.supervisor),
        )
        .ok(200)
        .clone();
    for r in report["rows"].as_array().unwrap() {
        let id = r["unit_id"].as_str().unwrap();
        let cells = row(text, &format!(r#"<tr data-unit="{id}">"#));
        assert!(cells.contains(r["unit_name"].as_str().unwrap()), "{cells}");
        assert!(cells.contains(r["unit_code"].as_str().unwrap()), "{cells}");
        for metric in ["on_time_rate", "online_ratio"] {
            let cell = format!(r#"data-metric="{metric}">{}<"#, percent(&r[metric]));
            assert!(cells.contains(&cell), "{cell} in {cells}");
        }
        assert!(cells.contains(&format!(">{}<", r["received"])), "{cells}");
    }
    let vi_tan = row(text, &format!(r#"<tr data-unit="{}">"#, p.vi_tan));
    assert!(vi_tan.contains("UBND phường Vị Tân") && vi_tan.contains("000.00.13.H30"));
    let total = row(text, r#"<tr class="total" data-unit="total">"#);
    assert!(
        total.contains(r#"data-metric="on_time_rate">73.17%<"#),
        "{total}"
    );
    // The chart has a bar for each unit with dossiers, with its rate.
    assert!(text.contains(r#"<svg class="chart" data-chart="units""#));
    assert!(text.contains("UBND phường I, Vị Thanh: đúng hạn"));

    // The Decision 766 indicators, as /reports/indicators scores them: 20 × 73.17%, 12 points
    // from 50% online, 6 × 52.34 / 90.
    let indicators = p
        .app
        .get(
            &format!("/api/v1/reports/indicators?{period}"),
            Some(&p.supervisor),
        )
        .ok(200)
        .clone();
    for i in indicators["indicators"].as_array().unwrap() {
        let cells = row(
            text,
            &format!(r#"data-indicator="{}""#, i["key"].as_str().unwrap()),
        );
        assert!(cells.contains(i["title_vi"].as_str().unwrap()), "{cells}");
        assert!(cells.contains(&percent(&i["rate"])), "{cells}");
        let score = i["score"]
            .as_f64()
            .map_or("—".to_string(), |s| format!("{s:.2}"));
        let max = i["max_points"].as_f64().unwrap();
        assert!(cells.contains(&format!("{score} / {max:.0}")), "{cells}");
    }
    let on_time = row(text, r#"data-indicator="on_time_rate""#);
    assert!(
        on_time.contains("30 / 41") && on_time.contains("14.63 / 20"),
        "{on_time}"
    );
    assert!(row(text, r#"data-indicator="online_ratio""#).contains("12.00 / 12"));
    assert!(row(text, r#"data-indicator="satisfaction""#).contains("52.34%"));
    let score = format!(
        "{:.2} / {:.0}",
        indicators["score"].as_f64().unwrap(),
        indicators["max"].as_f64().unwrap()
    );
    let total_score = row(text, r#"<td class="n" data-metric="score">"#);
    assert!(total_score.contains(&score), "{score}");
    assert_eq!(
        tile(text, "score"),
        format!("{:.2}", indicators["score"].as_f64().unwrap())
    );

    // Per month, as /reports/series gives each metric: March to May.
    let months = "from=2026-03-01&to=2026-05-31";
    let page = get(&p.app, &format!("/dashboard?{months}"), &p.supervisor);
    let text = page.html(200);
    let series = |metric: &str| -> Vec<Value> {
        let s = p
            .app
            .get(
                &format!("/api/v1/reports/series?metric={metric}&{months}"),
                Some(&p.supervisor),
            )
            .ok(200)
            .clone();
        s["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].clone())
            .collect()
    };
    let (received, online, on_time) = (
        series("received"),
        series("received_online"),
        series("on_time_rate"),
    );
    assert_eq!(received[1], 39.0);
    for (i, label) in ["03/26", "04/26", "05/26"].iter().enumerate() {
        let column = format!(
            "<title>{label}: {} hồ sơ, {} trực tuyến",
            received[i].as_f64().unwrap(),
            online[i].as_f64().unwrap()
        );
        assert!(text.contains(&column), "{column}");
        if let Some(rate) = on_time[i].as_f64() {
            let dot = format!("<title>{label}: {rate:.2}%</title>");
            assert!(text.contains(&dot), "{dot}");
        }
    }
    assert!(text.contains(r#"data-chart="received""#) && text.contains(r#"data-chart="rates""#));
}

#[test]
fn the_login_form_sets_a_session_cookie_that_the_page_reads() {
    let app = TestApp::spawn();
    app.official("giam.sat", "supervisor", None);
    // Without a session: the login form.
    let page = send(&app, "GET", "/dashboard", &[], None);
    let text = page.html(200);
    assert!(text.contains(r#"<form class="login" method="post" action="/dashboard/login">"#));
    assert!(page.header("set-cookie").is_none());

    // A wrong password: the form again, 401, with the name kept and no cookie.
    let page = form(&app, "giam.sat", "not-the-password", &[]);
    let text = page.html(401);
    assert!(
        text.contains("Sai tên đăng nhập hoặc mật khẩu") && text.contains(r#"value="giam.sat""#)
    );
    assert!(page.header("set-cookie").is_none());

    // The right one: 303 to the page with an HttpOnly, SameSite=Strict cookie for /dashboard.
    let page = form(&app, "giam.sat", "Canbo2026pass", &[]);
    assert_eq!(page.status, 303, "{}", page.text);
    assert_eq!(page.header("location"), Some("/dashboard"));
    let cookie = page
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    assert!(cookie.starts_with("motcua_dashboard="), "{cookie}");
    for attribute in [
        "; Path=/dashboard",
        "; HttpOnly",
        "; SameSite=Strict",
        "; Max-Age=3600",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "not over plain HTTP: {cookie}");
    let token = cookie["motcua_dashboard=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let sent = format!("theme=dark; motcua_dashboard={token}");
    let page = send(&app, "GET", "/dashboard", &[("Cookie", &sent)], None);
    let text = page.html(200);
    assert!(text.contains("giam.sat") && text.contains(r#"data-chart="received""#));
    assert_eq!(tile(text, "received"), "0");
    // It is an ordinary access token.
    app.get("/api/v1/me", Some(&token)).ok(200);

    // Logging out removes it, and revokes it: the token no longer works anywhere.
    let page = send(
        &app,
        "POST",
        "/dashboard/logout",
        &[("Cookie", &sent)],
        None,
    );
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/dashboard"));
    let cleared = page.header("set-cookie").unwrap();
    assert!(
        cleared.starts_with("motcua_dashboard=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    app.get("/api/v1/me", Some(&token))
        .problem(401, "token_revoked");

    // A cookie that is not a valid token: the form, and the cookie removed.
    let page = send(
        &app,
        "GET",
        "/dashboard",
        &[("Cookie", "motcua_dashboard=forged")],
        None,
    );
    let text = page.html(200);
    assert!(text.contains("Phiên đăng nhập đã hết hạn") && text.contains("<form class=\"login\""));
    assert!(page.header("set-cookie").unwrap().contains("Max-Age=0"));

    // Posts from another site are refused; the form must be a form, with its two fields.
    let cross = [("Sec-Fetch-Site", "cross-site")];
    form(&app, "giam.sat", "Canbo2026pass", &cross).html(403);
    assert_eq!(
        send(&app, "POST", "/dashboard/logout", &cross, None).status,
        403
    );
    let same = [("Sec-Fetch-Site", "same-origin")];
    assert_eq!(form(&app, "giam.sat", "Canbo2026pass", &same).status, 303);
    let json = Some(("application/json", r#"{"username":"giam.sat"}"#));
    send(&app, "POST", "/dashboard/login", &[], json).html(415);
    let missing = Some(("application/x-www-form-urlencoded", "username=giam.sat"));
    send(&app, "POST", "/dashboard/login", &[], missing).html(400);
    form(&app, "", "x", &[]).html(400);
}

#[test]
fn the_login_form_is_rate_limited_like_the_api_login() {
    let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 2);
    for _ in 0..2 {
        form(&app, "nobody", "wrong-password", &[]).html(401);
    }
    let page = form(&app, "nobody", "wrong-password", &[]);
    let text = page.html(429);
    assert!(page.header("retry-after").is_some());
    assert!(text.contains("Quá nhiều lần đăng nhập"));
}

#[test]
fn who_may_open_the_dashboard_and_what_is_refused() {
    let p = province();
    import(&p.app, &april()).ok(201);
    let app = &p.app;
    let period = "/dashboard?from=2026-04-01&to=2026-04-30";
    // A bad bearer token: 401, as a page.
    let page = send(
        app,
        "GET",
        period,
        &[("Authorization", "Bearer forged")],
        None,
    );
    page.html(401);
    let page = send(app, "GET", period, &[("Authorization", "Basic eDp5")], None);
    page.html(401);
    // Citizens and officials without report rights: 403.
    let citizen = app.citizen("001099012345");
    assert!(get(app, period, &citizen).html(403).contains("Đăng xuất"));
    let reception = app.official("tiep.nhan", "reception", Some(&p.vi_thanh));
    get(app, period, &reception).html(403);
    let specialist = app.official("chuyen.vien", "specialist", Some(&p.vi_thanh));
    get(app, period, &specialist).html(403);
    // A leader sees their unit's subtree only, as in the reports.
    let leader = app.official("lanh.dao", "leader", Some(&p.vi_thanh));
    let text = get(app, period, &leader).html(200).to_string();
    assert!(text.contains("UBND phường I, Vị Thanh") && !text.contains("UBND phường Vị Tân"));
    let own = app
        .get(
            &format!(
                "/api/v1/reports/units?from=2026-04-01&to=2026-04-30&unit={}&subtree=true",
                p.vi_thanh
            ),
            Some(&leader),
        )
        .ok(200)
        .clone();
    assert_eq!(
        tile(&text, "on_time_rate"),
        percent(&own["total"]["on_time_rate"])
    );
    get(app, &format!("{period}&unit={}", p.vi_tan), &leader).html(403);
    get(app, &format!("{period}&unit={}", p.province), &leader).html(403);
    // A supervisor narrows to one unit; an administrator sees every unit.
    let text = get(app, &format!("{period}&unit={}", p.vi_tan), &p.supervisor)
        .html(200)
        .to_string();
    assert!(text.contains("UBND phường Vị Tân và các đơn vị trực thuộc"));
    assert!(!text.contains("UBND phường I, Vị Thanh"));
    assert!(get(app, period, &app.admin)
        .html(200)
        .contains("Toàn bộ các đơn vị"));

    // Bad input: a 400 page, never a 500; an unknown unit: 404.
    for bad in [
        "/dashboard?from=2026-13-01",
        "/dashboard?from=yesterday",
        "/dashboard?from=2026-05-01&to=2026-04-01",
        "/dashboard?from=2024-01-01&to=2026-04-30",
        "/dashboard?to=2026-04-30&colour=red",
        "/dashboard?unit=not-an-id",
    ] {
        let page = get(app, bad, &p.supervisor);
        assert!(page.html(400).contains("400"), "{bad}");
    }
    let page = get(
        app,
        "/dashboard?unit=01a23188-83fc-706c-98e0-f8038dc331fd",
        &p.supervisor,
    );
    page.html(404);
}

#[test]
fn names_from_the_database_are_escaped() {
    let app = TestApp::spawn();
    let supervisor = app.official("giam.sat", "supervisor", None);
    let name = r#"<script>alert("x")</script> & 'Co'"#;
    app.unit("000.00.00.H99", name, "province", None);
    let text = get(&app, "/dashboard", &supervisor).html(200).to_string();
    assert!(text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;"));
    assert!(!text.contains("<script>") && !text.contains(r#"alert("x")"#));
}

/// A count as the page writes it (thousands separated by commas).
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the browser test needs, or why it cannot run: the browser, node and playwright-core
/// (`npm ci --prefix tests/browser`).
fn browser_tools() -> Result<(PathBuf, PathBuf), String> {
    let browser = std::env::var_os("MOTCUA_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !browser.exists() {
        return Err(format!("no browser at {}", browser.display()));
    }
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !scripts.join("node_modules/playwright-core").exists() {
        return Err("playwright-core is not installed: npm ci --prefix tests/browser".into());
    }
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("node is not installed".into());
    }
    Ok((browser, scripts))
}

#[test]
fn a_headless_browser_logs_in_and_renders_the_dashboard() {
    let (browser, scripts) = match browser_tools() {
        Ok(tools) => tools,
        // CI installs them (.ci/run): there, a missing one is a failure, not a skip.
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => panic!("{why}"),
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let app = TestApp::spawn();
    let (ok, out) = app.command(&["seed", "demo", "--dossiers", "2500"]);
    assert!(ok, "{out}");
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let from = today - chrono::TimeDelta::days(364);
    let query = format!("?from={from}&to={today}");
    let supervisor = app.login("bench.supervisor", "Bench-2026!");
    let report = app
        .get(&format!("/api/v1/reports/units{query}"), Some(&supervisor))
        .ok(200)
        .clone();
    let total = &report["total"];
    let indicators = app
        .get(
            &format!("/api/v1/reports/indicators{query}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    let expect = serde_json::json!({
        "on_time_rate": percent(&total["on_time_rate"]),
        "online_ratio": percent(&total["online_ratio"]),
        "received": count(total["received"].as_u64().unwrap()),
        "score": format!("{:.2}", indicators["score"].as_f64().unwrap()),
    });
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .to_path_buf();
    let png = target.join("dashboard.png");
    let _ = std::fs::remove_file(&png);
    let out = std::process::Command::new("node")
        .arg(scripts.join("dashboard.mjs"))
        .env("MOTCUA_BASE", &app.base)
        .env("MOTCUA_USER", "bench.supervisor")
        .env("MOTCUA_PASSWORD", "Bench-2026!")
        .env("MOTCUA_QUERY", &query)
        .env("MOTCUA_EXPECT", expect.to_string())
        .env("MOTCUA_SCREENSHOT", &png)
        .env("MOTCUA_CHROMIUM", &browser)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let seen: Value = serde_json::from_str(stdout.trim()).expect("the script's JSON");
    assert_eq!(seen["failures"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["figures"], expect, "{seen}");
    // 30 units and the total; the seven indicators computed here.
    assert_eq!(seen["units"], 31, "{seen}");
    assert_eq!(seen["indicators"], 7, "{seen}");
    assert!(
        seen["charts"]["units"]["rects"].as_u64().unwrap() >= 2 * 29,
        "{seen}"
    );

    // A PNG of the whole page, 1280 pixels wide.
    let bytes = std::fs::read(&png).expect("the screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!(width, 1280);
    assert!(height > 2000, "{height}");
    assert!(bytes.len() > 100_000, "{}", bytes.len());
    eprintln!("screenshot: {} ({width}×{height})", png.display());
}
