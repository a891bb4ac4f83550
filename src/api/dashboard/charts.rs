//! The dashboard's charts, drawn as inline SVG on the server: no script, no image request, nothing
//! the Content-Security-Policy has to allow. Colours come from the page's stylesheet through
//! classes (`on-time`, `online`, `desk`), so that SVG and tables share one legend. Every label
//! from the database is escaped with [`esc`].

use std::fmt::Write;

/// Escapes text for HTML and SVG, in element content and in quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A rate as the reports give it (two decimals), or a dash for "not applicable".
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{r:.2}%"))
}

/// A count with thousands separated by commas.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// One unit of the per-unit chart: its name, the page that zooms on it, and its rates.
pub struct UnitBar {
    pub name: String,
    pub href: Option<String>,
    pub on_time_rate: Option<f64>,
    pub online_ratio: Option<f64>,
}

/// Two horizontal bars per unit, on-time rate and online ratio, on one 0–100% axis.
pub fn unit_bars(units: &[UnitBar]) -> String {
    const WIDTH: f64 = 1100.0;
    const LABEL: f64 = 300.0;
    const PLOT: f64 = 720.0;
    const ROW: f64 = 28.0;
    const TOP: f64 = 34.0;
    let height = TOP + ROW * units.len() as f64 + 26.0;
    let x = |rate: f64| LABEL + PLOT * rate.clamp(0.0, 100.0) / 100.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" data-chart="units" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" aria-labelledby="units-title"><title id="units-title">Tỷ lệ đúng hạn và tỷ lệ trực tuyến theo đơn vị (on_time_rate, online_ratio per unit)</title>"#
    );
    legend(
        &mut svg,
        LABEL,
        14.0,
        &[
            ("on-time", "Tỷ lệ đúng hạn (on_time_rate)"),
            ("online", "Tỷ lệ trực tuyến (online_ratio)"),
        ],
    );
    let bottom = TOP + ROW * units.len() as f64;
    for tick in (0..=100).step_by(20) {
        let tx = x(f64::from(tick));
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{tx}" y1="{TOP}" x2="{tx}" y2="{bottom}"/><text class="axis" x="{tx}" y="{}" text-anchor="middle">{tick}%</text>"#,
            bottom + 16.0
        );
    }
    for (i, unit) in units.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let name = esc(&shorten(&unit.name, 44));
        let label = match &unit.href {
            Some(href) => format!(r#"<a href="{}">{name}</a>"#, esc(href)),
            None => name,
        };
        let _ = write!(
            svg,
            r#"<g class="unit"><title>{}: đúng hạn {}, trực tuyến {}</title><text class="label" x="{}" y="{}" text-anchor="end">{label}</text>"#,
            esc(&unit.name),
            percent(unit.on_time_rate),
            percent(unit.online_ratio),
            LABEL - 8.0,
            y + 18.0,
        );
        for (n, (class, rate)) in [
            ("on-time", unit.on_time_rate),
            ("online", unit.online_ratio),
        ]
        .into_iter()
        .enumerate()
        {
            let by = y + 4.0 + 10.0 * n as f64;
            match rate {
                Some(r) => {
                    let _ = write!(
                        svg,
                        r#"<rect class="{class}" x="{LABEL}" y="{by}" width="{:.1}" height="9"/><text class="value" x="{:.1}" y="{}">{}</text>"#,
                        x(r) - LABEL,
                        x(r) + 4.0,
                        by + 8.0,
                        percent(rate),
                    );
                }
                None => {
                    let _ = write!(
                        svg,
                        r#"<text class="value na" x="{}" y="{}">không áp dụng</text>"#,
                        LABEL + 4.0,
                        by + 8.0
                    );
                }
            }
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// One month of the monthly charts.
pub struct MonthPoint {
    /// `MM/YY`.
    pub label: String,
    pub received_online: u64,
    pub received_desk: u64,
    pub on_time_rate: Option<f64>,
    pub online_ratio: Option<f64>,
}

const MONTH_WIDTH: f64 = 540.0;
const MONTH_HEIGHT: f64 = 270.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 40.0;

/// The x of month `i`'s centre and the width of its slot.
fn slot(i: usize, n: usize) -> (f64, f64) {
    let width = (MONTH_WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    (LEFT + width * (i as f64 + 0.5), width)
}

/// The month labels under the plot (every other one past a year of months).
fn month_axis(svg: &mut String, months: &[MonthPoint]) {
    let every = if months.len() > 13 { 2 } else { 1 };
    for (i, m) in months.iter().enumerate() {
        if !i.is_multiple_of(every) {
            continue;
        }
        let (cx, _) = slot(i, months.len());
        let _ = write!(
            svg,
            r#"<text class="axis" x="{cx:.1}" y="{}" text-anchor="middle">{}</text>"#,
            MONTH_HEIGHT - BOTTOM + 16.0,
            esc(&m.label)
        );
    }
}

/// A step for about five ticks up to `max`: 1, 2 or 5 times a power of ten.
fn nice_step(max: u64) -> u64 {
    let rough = (max as f64 / 5.0).max(1.0);
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(rough);
    step as u64
}

/// Dossiers received per month, online over in person or by post, as stacked columns.
pub fn month_columns(months: &[MonthPoint]) -> String {
    let plot = MONTH_HEIGHT - TOP - BOTTOM;
    let most = months
        .iter()
        .map(|m| m.received_online + m.received_desk)
        .max()
        .unwrap_or(0);
    let step = nice_step(most);
    let top = most.div_ceil(step).max(1) * step;
    let y = |n: u64| MONTH_HEIGHT - BOTTOM - plot * n as f64 / top as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" data-chart="received" role="img" viewBox="0 0 {MONTH_WIDTH} {MONTH_HEIGHT}" width="100%" aria-labelledby="received-title"><title id="received-title">Hồ sơ tiếp nhận theo tháng (received_online, received_desk)</title>"#
    );
    legend(
        &mut svg,
        LEFT,
        14.0,
        &[
            ("online", "Trực tuyến (received_online)"),
            ("desk", "Trực tiếp, bưu chính (received_desk)"),
        ],
    );
    let mut tick = 0;
    while tick <= top {
        let ty = y(tick);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" y1="{ty:.1}" x2="{}" y2="{ty:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            MONTH_WIDTH - RIGHT,
            LEFT - 6.0,
            ty + 4.0,
            count(tick)
        );
        tick += step;
    }
    for (i, m) in months.iter().enumerate() {
        let (cx, width) = slot(i, months.len());
        let bar = (width * 0.62).max(2.0);
        let x = cx - bar / 2.0;
        let total = m.received_online + m.received_desk;
        let _ = write!(
            svg,
            r#"<g class="month"><title>{}: {} hồ sơ, {} trực tuyến, {} trực tiếp hoặc bưu chính</title><rect class="desk" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}"/><rect class="online" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}"/>"#,
            esc(&m.label),
            count(total),
            count(m.received_online),
            count(m.received_desk),
            y(m.received_desk),
            y(0) - y(m.received_desk),
            y(total),
            y(m.received_desk) - y(total),
        );
        if months.len() <= 13 && total > 0 {
            let _ = write!(
                svg,
                r#"<text class="value" x="{cx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                y(total) - 4.0,
                count(total)
            );
        }
        svg.push_str("</g>");
    }
    month_axis(&mut svg, months);
    svg.push_str("</svg>");
    svg
}

/// The on-time rate and the online ratio per month as two lines on a 0–100% axis, with a dashed
/// line at the 50% from which online submission scores full marks (Decision 766).
pub fn month_lines(months: &[MonthPoint]) -> String {
    let plot = MONTH_HEIGHT - TOP - BOTTOM;
    let y = |rate: f64| MONTH_HEIGHT - BOTTOM - plot * rate.clamp(0.0, 100.0) / 100.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" data-chart="rates" role="img" viewBox="0 0 {MONTH_WIDTH} {MONTH_HEIGHT}" width="100%" aria-labelledby="rates-title"><title id="rates-title">Tỷ lệ đúng hạn và tỷ lệ trực tuyến theo tháng (on_time_rate, online_ratio)</title>"#
    );
    legend(
        &mut svg,
        LEFT,
        14.0,
        &[
            ("on-time", "Đúng hạn (on_time_rate)"),
            ("online", "Trực tuyến (online_ratio)"),
        ],
    );
    for tick in (0..=100).step_by(25) {
        let ty = y(f64::from(tick));
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" y1="{ty:.1}" x2="{}" y2="{ty:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{tick}%</text>"#,
            MONTH_WIDTH - RIGHT,
            LEFT - 6.0,
            ty + 4.0
        );
    }
    let _ = write!(
        svg,
        r#"<line class="threshold" x1="{LEFT}" y1="{0:.1}" x2="{1}" y2="{0:.1}"/>"#,
        y(50.0),
        MONTH_WIDTH - RIGHT,
    );
    for (class, pick, above) in [
        (
            "on-time",
            (|m: &MonthPoint| m.on_time_rate) as fn(&MonthPoint) -> Option<f64>,
            true,
        ),
        ("online", |m: &MonthPoint| m.online_ratio, false),
    ] {
        // A month without a rate breaks the line.
        let mut path = String::new();
        let mut pen_down = false;
        for (i, m) in months.iter().enumerate() {
            let (cx, _) = slot(i, months.len());
            match pick(m) {
                Some(r) => {
                    let _ = write!(
                        path,
                        "{}{cx:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        y(r)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                svg,
                r#"<path class="line {class}" d="{}"/>"#,
                path.trim_end()
            );
        }
        for (i, m) in months.iter().enumerate() {
            let Some(r) = pick(m) else { continue };
            let (cx, _) = slot(i, months.len());
            let _ = write!(
                svg,
                r#"<circle class="{class}" cx="{cx:.1}" cy="{:.1}" r="3"><title>{}: {}</title></circle>"#,
                y(r),
                esc(&m.label),
                percent(Some(r))
            );
            if months.len() <= 13 {
                let ly = if above { y(r) - 7.0 } else { y(r) + 15.0 };
                let _ = write!(
                    svg,
                    r#"<text class="value small" x="{cx:.1}" y="{ly:.1}" text-anchor="middle">{r:.1}</text>"#
                );
            }
        }
    }
    month_axis(&mut svg, months);
    svg.push_str("</svg>");
    svg
}

/// A score out of its maximum as a short bar, for the indicator table.
pub fn meter(score: Option<f64>, max: f64) -> String {
    let share = match (score, max > 0.0) {
        (Some(s), true) => (s / max).clamp(0.0, 1.0),
        _ => 0.0,
    };
    format!(
        r#"<svg class="meter" viewBox="0 0 100 10" width="100" height="10" aria-hidden="true"><rect class="track" width="100" height="10" rx="2"/><rect class="on-time" width="{:.1}" height="10" rx="2"/></svg>"#,
        share * 100.0
    )
}

/// Coloured squares (a dashed line for `threshold`) with their captions, left to right from
/// (`x`, `y`).
fn legend(svg: &mut String, x: f64, y: f64, items: &[(&str, &str)]) {
    let mut at = x;
    for (class, caption) in items {
        if *class == "threshold" {
            let _ = write!(
                svg,
                r#"<line class="threshold" x1="{at}" y1="{0}" x2="{1}" y2="{0}"/>"#,
                y - 4.0,
                at + 12.0
            );
        } else {
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{at}" y="{}" width="12" height="12"/>"#,
                y - 10.0
            );
        }
        let _ = write!(
            svg,
            r#"<text class="legend" x="{}" y="{y}">{}</text>"#,
            at + 17.0,
            esc(caption)
        );
        at += 30.0 + 6.8 * caption.chars().count() as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_numbers_are_shown_as_the_reports_give_them() {
        assert_eq!(
            esc(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(percent(Some(73.17)), "73.17%");
        assert_eq!(percent(Some(12.0)), "12.00%");
        assert_eq!(percent(None), "—");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(418_455), "418,455");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(nice_step(0), 1);
        assert_eq!(nice_step(37), 10);
        assert_eq!(nice_step(420), 100);
        assert_eq!(shorten("Sở Tư pháp", 44), "Sở Tư pháp");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }

    #[test]
    fn a_unit_name_in_a_chart_is_escaped() {
        let svg = unit_bars(&[UnitBar {
            name: "<script>alert(1)</script>".into(),
            href: Some("/dashboard?unit=1&from=2026-01-01".into()),
            on_time_rate: Some(50.0),
            online_ratio: None,
        }]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains(r#"href="/dashboard?unit=1&amp;from=2026-01-01""#));
        assert!(svg.contains("50.00%") && svg.contains("không áp dụng"));
    }
}
