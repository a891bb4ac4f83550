//! `motcua seed demo`: a small province for a newcomer to look at. The population of
//! [`super::seed`] at a small scale (a province of 30 units, its catalogue of procedures with
//! fees and components, officials of every role, a year of dossiers on every channel and in
//! every state, with their aggregates), plus this year's public holidays and the 50% discount
//! for online submission as a policy, so that new submissions get it too.
//!
//! The holidays of 2026 follow the government's notice for that year (Tết Bính Ngọ from 16 to
//! 20 February on working days, the Hùng Kings' day on Monday 27 April in place of Sunday 26,
//! 30 April and 1 May, 1 and 2 September); for another year only the fixed-date holidays are
//! loaded, and an administrator completes them (`PUT /calendar/{year}`).

use chrono::{Datelike, NaiveDate};

use super::seed::{self, Options, Seeded, PASSWORD};
use crate::config::Config;
use crate::db::{self, Pool};
use crate::domain::calendar::{DayKind, SpecialDay};
use crate::id::Id;
use crate::store;

/// This year's holidays.
fn holidays(year: i32) -> Vec<SpecialDay> {
    let day = |m: u32, d: u32, name: &str| {
        NaiveDate::from_ymd_opt(year, m, d).map(|date| SpecialDay {
            date,
            kind: DayKind::Holiday,
            name: name.to_string(),
        })
    };
    let mut days = vec![
        day(1, 1, "Tết Dương lịch"),
        day(4, 30, "Ngày Giải phóng miền Nam"),
        day(5, 1, "Ngày Quốc tế Lao động"),
        day(9, 2, "Quốc khánh"),
    ];
    if year == 2026 {
        days.extend((16..=20).map(|d| day(2, d, "Tết Nguyên đán")));
        days.push(day(4, 27, "Giỗ Tổ Hùng Vương (nghỉ bù)"));
        days.push(day(9, 1, "Quốc khánh"));
    }
    let mut days: Vec<SpecialDay> = days.into_iter().flatten().collect();
    days.sort_by_key(|d| d.date);
    days
}

/// Loads the demo province into an empty database; what was made.
pub fn load(pool: &Pool, config: &Config, dossiers: u64) -> Result<Seeded, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    if store::dossiers::count(&mut conn).map_err(|e| e.to_string())? > 0 {
        return Err("the database already holds dossiers: load the demo into an empty one".into());
    }
    let now = db::now();
    let year = now.year();
    store::calendar::replace_year(&mut conn, year, &holidays(year)).map_err(|e| e.to_string())?;
    let policy = store::fees::FeePolicy {
        id: Id::new(),
        name: "Giảm 50% lệ phí khi nộp hồ sơ trực tuyến".to_string(),
        legal_basis: "Chính sách khuyến khích dịch vụ công trực tuyến (dữ liệu mẫu)".to_string(),
        valid_from: NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or_default(),
        valid_to: None,
        channel: Some("online".to_string()),
        effect: "percent".to_string(),
        amount: 50,
        stacking: false,
        created_at: now,
        updated_at: now,
    };
    store::fees::create(&mut conn, &policy, &[]).map_err(|e| e.to_string())?;
    drop(conn);
    let options = Options {
        dossiers,
        units: 30,
        years: 1,
        seed: 2026,
    };
    seed::seed(pool, config, &options)
}

/// The accounts to try (username, password, role), for the command to print.
pub fn credentials() -> Vec<String> {
    [
        ("bench.supervisor", "supervisor: every report, every unit"),
        ("bench.leader.0", "leader of the province (its whole tree)"),
        (
            "bench.reception.3",
            "reception (one-stop desk) of a commune",
        ),
        ("bench.specialist.3", "specialist of the same commune"),
        ("bench.leader.3", "leader of the same commune"),
        (
            "001090000000",
            "a citizen (national id) with dossiers of their own",
        ),
    ]
    .into_iter()
    .map(|(user, what)| format!("{user:<20} {PASSWORD:<12} {what}"))
    .collect()
}
