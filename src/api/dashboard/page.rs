//! The dashboard's HTML: the page of figures, the login form and the error page. Server-rendered
//! with one inline stylesheet (allowed by its nonce), no script and no external resource. Labels
//! are Vietnamese, each figure also named by its report field (`on_time_rate`); numbers are
//! written as the report endpoints give them (two decimals, `.` as the decimal point).

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};

use super::charts::{self, count, esc, percent, MonthPoint, UnitBar};
use crate::api::reports::{Figures, IndicatorReport, Month, UnitReport};
use crate::auth::Principal;
use crate::domain::accounts::Role;
use crate::id::Id;

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif;color:#1f2933;background:#eef1f5}
header{background:#0b3d91;color:#fff;padding:14px 28px;display:flex;align-items:center;gap:20px;flex-wrap:wrap}
header h1{font-size:19px;margin:0;font-weight:600}
header .sub{opacity:.8;font-size:13px}
header .who{margin-left:auto;font-size:13px;display:flex;gap:12px;align-items:center}
header button{background:transparent;border:1px solid #fff9;color:#fff;border-radius:4px;padding:4px 10px;cursor:pointer;font:inherit}
main{max-width:1180px;margin:0 auto;padding:18px 20px 40px}
.bar{display:flex;gap:14px;align-items:center;flex-wrap:wrap;margin-bottom:14px}
.bar form{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.bar input{font:inherit;padding:4px 6px;border:1px solid #c3cad3;border-radius:4px}
.bar button,.login button{font:inherit;background:#0b3d91;color:#fff;border:0;border-radius:4px;padding:5px 14px;cursor:pointer}
.bar .scope{font-weight:600}
.muted,.f{color:#64748b}
.f{font:11px ui-monospace,Menlo,Consolas,monospace}
a{color:#0b3d91}
.tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:16px}
.tile{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px #0001}
.tile .k{font-size:12.5px;color:#475569}
.tile .v{font-size:24px;font-weight:650;margin:2px 0}
.tile .s{font-size:12px;color:#475569}
.card{background:#fff;border-radius:8px;padding:16px 18px;margin-bottom:16px;box-shadow:0 1px 2px #0001}
.card h2{font-size:16px;margin:0 0 10px;font-weight:600}
.card h2 .f{font-weight:400;margin-left:6px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
.grid2 h3{font-size:13.5px;margin:0 0 4px;font-weight:600}
svg.chart{display:block;font-family:inherit}
svg .grid{stroke:#e2e8f0;stroke-width:1}
svg .threshold{stroke:#94a3b8;stroke-dasharray:4 3;stroke-width:1}
svg .axis{font-size:11px;fill:#64748b}
svg .label{font-size:12.5px;fill:#1f2933}
svg .label a,svg a .label{fill:#0b3d91}
svg .legend{font-size:12px;fill:#334155}
svg .value{font-size:11px;fill:#334155}
svg .value.small{font-size:10px}
svg .na{fill:#94a3b8;font-style:italic}
.on-time{fill:#2e7d32}
.online{fill:#1e6bd6}
.desk{fill:#b6c2cf}
svg .track{fill:#e2e8f0}
path.line{fill:none;stroke-width:2.2}
path.line.on-time{stroke:#2e7d32}
path.line.online{stroke:#1e6bd6}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid #e5e9ef;text-align:left;vertical-align:top}
th{font-weight:600;color:#334155;background:#f8fafc}
th .f{display:block;font-weight:400}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:650;border-top:2px solid #cbd5e1}
tr.group td{background:#f1f5f9;font-weight:600}
table[data-table="indicators"] td:first-child{width:46%}
.code{display:block}
.note{font-size:12.5px;color:#64748b;margin:8px 0 0}
.login{max-width:380px;margin:70px auto;background:#fff;border-radius:8px;padding:24px 26px;box-shadow:0 2px 8px #0002}
.login h1{font-size:18px;margin:0 0 4px}
.login label{display:block;margin:14px 0 4px;font-weight:600}
.login input{width:100%;font:inherit;padding:7px 9px;border:1px solid #c3cad3;border-radius:4px}
.login button{margin-top:18px;width:100%;padding:8px}
.error{color:#b91c1c;background:#fef2f2;border:1px solid #fecaca;border-radius:4px;padding:8px 10px;margin:12px 0 0}
@media (max-width:900px){.tiles{grid-template-columns:repeat(2,1fr)}.grid2{grid-template-columns:1fr}}
"#;

/// The document around `body`.
fn document(title: &str, nonce: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style nonce=\"{}\">{STYLE}</style></head><body>{body}</body></html>\n",
        esc(title),
        esc(nonce)
    )
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "quản trị",
        Role::Supervisor => "giám sát",
        Role::Leader => "lãnh đạo",
        Role::Reception => "tiếp nhận",
        Role::Specialist => "chuyên viên",
        Role::Citizen => "công dân",
    }
}

fn logout_button() -> &'static str {
    r#"<form method="post" action="/dashboard/logout"><button type="submit">Đăng xuất</button></form>"#
}

/// The login form, with a message above it (an error, an expired session).
pub fn login(nonce: &str, message: Option<&str>, username: &str) -> String {
    let message = message.map_or_else(String::new, |m| {
        format!(r#"<p class="error" role="alert">{}</p>"#, esc(m))
    });
    let body = format!(
        r#"<form class="login" method="post" action="/dashboard/login"><h1>Bảng theo dõi giải quyết hồ sơ</h1><p class="muted">Dashboard · dành cho cán bộ giám sát, quản trị và lãnh đạo đơn vị. Đăng nhập bằng tài khoản của hệ thống một cửa.</p>{message}<label for="username">Tên đăng nhập</label><input id="username" name="username" autocomplete="username" required maxlength="100" value="{}"><label for="password">Mật khẩu</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200"><button type="submit">Đăng nhập</button></form>"#,
        esc(username)
    );
    document("Đăng nhập · motcua", nonce, &body)
}

/// An error page: what went wrong, and the way back.
pub fn error(nonce: &str, status: u16, detail: &str, errors: &[String]) -> String {
    let title = match status {
        400 => "Yêu cầu không hợp lệ",
        401 => "Chưa đăng nhập hoặc phiên không hợp lệ",
        403 => "Tài khoản này không được xem báo cáo này",
        404 => "Không tìm thấy",
        415 => "Định dạng không được hỗ trợ",
        429 => "Quá nhiều yêu cầu, xin thử lại sau ít phút",
        503 => "Dịch vụ đang bận, xin thử lại sau",
        _ => "Đã có lỗi xảy ra",
    };
    let mut list = String::new();
    for e in errors {
        let _ = write!(list, "<li>{}</li>", esc(e));
    }
    if !list.is_empty() {
        list = format!("<ul>{list}</ul>");
    }
    let body = format!(
        r#"<div class="login" data-status="{status}"><h1>{status} · {title}</h1><p class="error">{}</p>{list}<p><a href="/dashboard">Về bảng theo dõi</a></p>{}</div>"#,
        esc(detail),
        if status == 403 { logout_button() } else { "" }
    );
    document(&format!("{status} · motcua"), nonce, &body)
}

/// What the page shows: the caller, the period, the unit it is narrowed to, and the three
/// reports computed for that scope.
pub struct View<'a> {
    pub who: &'a Principal,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub judged_at: DateTime<Utc>,
    pub tz: chrono_tz::Tz,
    /// The unit asked for (`?unit=`), if any.
    pub unit: Option<Id>,
    pub units: &'a UnitReport,
    pub months: &'a [Month],
    pub indicators: &'a IndicatorReport,
    /// This year so far, and the last twelve months, as (from, to).
    pub presets: [(NaiveDate, NaiveDate); 2],
}

impl View<'_> {
    fn link(&self, unit: Option<Id>, (from, to): (NaiveDate, NaiveDate)) -> String {
        match unit {
            Some(u) => format!("/dashboard?from={from}&to={to}&unit={u}"),
            None => format!("/dashboard?from={from}&to={to}"),
        }
    }

    /// The name of what the page covers.
    fn scope_name(&self) -> String {
        let root = self
            .unit
            .or(match self.who.role {
                Role::Admin | Role::Supervisor => None,
                _ => self.who.unit_id,
            })
            .and_then(|id| self.units.rows.iter().find(|r| r.unit_id == id));
        match root {
            Some(r) => format!("{} và các đơn vị trực thuộc", r.unit_name),
            None => "Toàn bộ các đơn vị".to_string(),
        }
    }
}

fn tile(metric: &str, label: &str, value: &str, sub: &str) -> String {
    format!(
        r#"<div class="tile" data-metric="{metric}"><div class="k">{label}</div><div class="v">{value}</div><div class="s">{sub}</div><div class="f">{metric}</div></div>"#
    )
}

fn header_cell(label: &str, field: &str) -> String {
    format!(r#"<th class="n">{label}<span class="f">{field}</span></th>"#)
}

fn figure_cells(f: &Figures) -> String {
    format!(
        r#"<td class="n">{}</td><td class="n">{}<span class="muted"> ({})</span></td><td class="n">{}<span class="muted"> ({})</span></td><td class="n">{}<span class="muted"> ({})</span></td><td class="n" data-metric="on_time_rate">{}</td><td class="n" data-metric="online_ratio">{}</td>"#,
        count(f.carried_over),
        count(f.received),
        count(f.received_online),
        count(f.finished),
        count(f.finished_late),
        count(f.open),
        count(f.open_overdue),
        percent(f.on_time_rate),
        percent(f.online_ratio),
    )
}

/// The dashboard.
pub fn dashboard(nonce: &str, v: &View) -> String {
    let t = &v.units.total;
    let mut body = String::new();
    let local = v.judged_at.with_timezone(&v.tz);
    let _ = write!(
        body,
        r#"<header><div><h1>Bảng theo dõi giải quyết thủ tục hành chính</h1><div class="sub">Dashboard · kỳ báo cáo {} – {}</div></div><div class="who"><span>{} <span class="sub">({})</span></span>{}</div></header><main>"#,
        v.from.format("%d/%m/%Y"),
        v.to.format("%d/%m/%Y"),
        esc(&v.who.username),
        role_name(v.who.role),
        logout_button()
    );
    // The period form (a plain GET) and the scope.
    let unit_field = v.unit.map_or_else(String::new, |u| {
        format!(r#"<input type="hidden" name="unit" value="{u}">"#)
    });
    let _ = write!(
        body,
        r#"<div class="bar"><form method="get" action="/dashboard"><label for="from">Từ ngày</label><input id="from" name="from" type="date" value="{}"><label for="to">đến ngày</label><input id="to" name="to" type="date" value="{}">{unit_field}<button type="submit">Xem</button></form><a href="{}">Năm nay</a><a href="{}">12 tháng qua</a><span class="scope" data-scope>{}</span>{}</div>"#,
        v.from,
        v.to,
        esc(&v.link(v.unit, v.presets[0])),
        esc(&v.link(v.unit, v.presets[1])),
        esc(&v.scope_name()),
        if v.unit.is_some() {
            format!(
                r#"<a href="{}">← toàn bộ phạm vi</a>"#,
                esc(&v.link(None, (v.from, v.to)))
            )
        } else {
            String::new()
        }
    );

    // The headline figures.
    body.push_str(r#"<section class="tiles">"#);
    body.push_str(&tile(
        "received",
        "Hồ sơ tiếp nhận",
        &count(t.received),
        &format!("tồn kỳ trước {}", count(t.carried_over)),
    ));
    body.push_str(&tile(
        "online_ratio",
        "Tỷ lệ nộp trực tuyến",
        &percent(t.online_ratio),
        &format!("{} hồ sơ trực tuyến", count(t.received_online)),
    ));
    body.push_str(&tile(
        "on_time_rate",
        "Tỷ lệ đúng hạn",
        &percent(t.on_time_rate),
        &format!(
            "{} trước hạn, {} đúng hạn",
            count(t.finished_early),
            count(t.finished_on_time)
        ),
    ));
    body.push_str(&tile(
        "finished",
        "Đã giải quyết xong",
        &count(t.finished),
        &format!("{} trễ hạn", count(t.finished_late)),
    ));
    body.push_str(&tile(
        "open_overdue",
        "Đang quá hạn",
        &count(t.open_overdue),
        &format!("trên {} đang giải quyết", count(t.open)),
    ));
    body.push_str(&tile(
        "score",
        "Điểm Quyết định 766",
        &format!("{:.2}", v.indicators.score),
        &format!("trên {:.0} điểm tính được", v.indicators.max),
    ));
    body.push_str("</section>");

    // Per unit.
    let (active, idle): (Vec<_>, Vec<_>) = v
        .units
        .rows
        .iter()
        .partition(|r| r.figures.carried_over + r.figures.received > 0);
    let bars: Vec<UnitBar> = active
        .iter()
        .map(|r| UnitBar {
            name: r.unit_name.clone(),
            href: Some(v.link(Some(r.unit_id), (v.from, v.to))),
            on_time_rate: r.figures.on_time_rate,
            online_ratio: r.figures.online_ratio,
        })
        .collect();
    body.push_str(
        r#"<section class="card"><h2>Theo đơn vị<span class="f">/api/v1/reports/units</span></h2>"#,
    );
    if bars.is_empty() {
        body.push_str(r#"<p class="note">Không có hồ sơ nào trong kỳ.</p>"#);
    } else {
        body.push_str(&charts::unit_bars(&bars));
    }
    if !idle.is_empty() {
        let names: Vec<String> = idle.iter().map(|r| esc(&r.unit_name)).collect();
        let _ = write!(
            body,
            r#"<p class="note">Không có hồ sơ trong kỳ: {}.</p>"#,
            names.join(", ")
        );
    }
    body.push_str("</section>");

    // Per month.
    let points: Vec<MonthPoint> = v
        .months
        .iter()
        .map(|m| MonthPoint {
            label: m.from.format("%m/%y").to_string(),
            received_online: m.figures.received_online,
            received_desk: m.figures.received_desk,
            on_time_rate: m.figures.on_time_rate,
            online_ratio: m.figures.online_ratio,
        })
        .collect();
    let _ = write!(
        body,
        r#"<section class="card"><h2>Theo tháng<span class="f">/api/v1/reports/series</span></h2><div class="grid2"><div><h3>Hồ sơ tiếp nhận</h3>{}</div><div><h3>Tỷ lệ đúng hạn và tỷ lệ trực tuyến</h3>{}</div></div><p class="note">Mỗi tháng được tính riêng (phần của tháng nằm trong kỳ). Đường đứt nét: 50%, mức mà tỷ lệ nộp trực tuyến đạt điểm tối đa theo Quyết định 766.</p></section>"#,
        charts::month_columns(&points),
        charts::month_lines(&points)
    );

    // The Decision 766 indicators.
    indicator_table(&mut body, v.indicators, t);

    // The figures per unit.
    body.push_str(r#"<section class="card"><h2>Số liệu theo đơn vị<span class="f">/api/v1/reports/units</span></h2><table data-table="units"><thead><tr><th>Đơn vị</th>"#);
    for (label, field) in [
        ("Tồn kỳ trước", "carried_over"),
        ("Tiếp nhận (trực tuyến)", "received (received_online)"),
        ("Đã giải quyết (trễ hạn)", "finished (finished_late)"),
        ("Đang giải quyết (quá hạn)", "open (open_overdue)"),
        ("Đúng hạn", "on_time_rate"),
        ("Trực tuyến", "online_ratio"),
    ] {
        body.push_str(&header_cell(label, field));
    }
    body.push_str("</tr></thead><tbody>");
    for r in &v.units.rows {
        let _ = write!(
            body,
            r#"<tr data-unit="{}"><td><a href="{}">{}</a><span class="f code">{}</span></td>{}</tr>"#,
            r.unit_id,
            esc(&v.link(Some(r.unit_id), (v.from, v.to))),
            esc(&r.unit_name),
            esc(&r.unit_code),
            figure_cells(&r.figures)
        );
    }
    let _ = write!(
        body,
        r#"<tr class="total" data-unit="total"><td>Tổng cộng</td>{}</tr></tbody></table><p class="note">Hồ sơ đang giải quyết được xét tại {} (giờ {}). Tỷ lệ đúng hạn = (trước hạn + đúng hạn + đang giải quyết trong hạn) / (tồn kỳ trước + tiếp nhận); tỷ lệ trực tuyến = tiếp nhận trực tuyến / tiếp nhận. “—”: không áp dụng (mẫu số bằng 0).</p></section>"#,
        figure_cells(t),
        local.format("%H:%M %d/%m/%Y"),
        esc(v.tz.name())
    );
    body.push_str("</main>");
    document("Bảng theo dõi · motcua", nonce, &body)
}

/// The Decision 766 table. Satisfaction's fraction is one of products (see
/// `domain::indicators`), so its row shows the counts it comes from instead.
fn indicator_table(body: &mut String, report: &IndicatorReport, total: &Figures) {
    body.push_str(r#"<section class="card"><h2>Chỉ số theo Quyết định 766/QĐ-TTg<span class="f">/api/v1/reports/indicators</span></h2><table data-table="indicators"><thead><tr><th>Chỉ số<span class="f">key</span></th>"#);
    for (label, field) in [
        ("Tử số / mẫu số", "numerator / denominator"),
        ("Tỷ lệ", "rate"),
        ("Ngưỡng", "threshold"),
        ("Điểm", "score / max_points"),
    ] {
        body.push_str(&header_cell(label, field));
    }
    body.push_str("<th></th></tr></thead><tbody>");
    for group in &report.groups {
        let scored = if group.max > 0.0 {
            format!("{:.2} / {:.0}", group.score, group.max)
        } else {
            "không tính được".to_string()
        };
        let _ = write!(
            body,
            r#"<tr class="group" data-group="{}"><td colspan="4">{} <span class="f">{}</span></td><td class="n">{scored}</td><td class="muted n">QĐ: {:.0} điểm</td></tr>"#,
            esc(&group.group),
            esc(&group.name_vi),
            esc(&group.group),
            group.decision_max
        );
        for i in report.indicators.iter().filter(|i| i.group == group.group) {
            let score = i
                .score
                .map_or_else(|| "—".to_string(), |s| format!("{s:.2}"));
            let fraction = if i.key == "satisfaction" {
                format!(
                    "trễ hạn {} / {}<br>không hài lòng {} / {} đánh giá",
                    count(total.finished_late + total.open_overdue),
                    count(total.carried_over + total.received),
                    count(total.dissatisfied),
                    count(total.satisfied + total.normal + total.dissatisfied)
                )
            } else {
                format!("{} / {}", count(i.numerator), count(i.denominator))
            };
            let _ = write!(
                body,
                r#"<tr data-indicator="{}"><td>{}<span class="f"> {} · {}</span></td><td class="n">{fraction}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{score} / {:.0}</td><td>{}</td></tr>"#,
                esc(&i.key),
                esc(&i.title_vi),
                esc(&i.key),
                esc(&i.title),
                percent(i.rate),
                percent(Some(i.threshold)),
                i.max_points,
                charts::meter(i.score, i.max_points)
            );
        }
    }
    let _ = write!(
        body,
        r#"<tr class="total"><td colspan="4">Tổng điểm các chỉ số tính được</td><td class="n" data-metric="score">{:.2} / {:.0}</td><td></td></tr></tbody></table><p class="note">Điểm = điểm tối đa × min(1, tỷ lệ / ngưỡng). Các chỉ số khác của Quyết định (công khai, minh bạch; khảo sát) không tính được từ hệ thống này.</p></section>"#,
        report.score, report.max
    );
}
