//! `motcua seed demo`: a small province for a newcomer to look at. The population of
//! [`super::seed`] at a small scale, as a named province: Hậu Giang (`H30`) with seven
//! departments, four districts and eighteen communes under their own unit codes; the fifty
//! procedures of [`super::catalogue`] with fees and components, each applied where it is
//! decided; officials of every role in every unit; a year of dossiers on every channel and in
//! every state, each unit with its own share of online and of late ones and online submission
//! growing over the year, with their aggregates; the public holidays of this year and the last,
//! which appointments skip; and the 50% discount for online submission as a policy, so that new
//! submissions get it too.
//!
//! The holidays of 2025 and 2026 follow the government's notices for those years (Tết on the
//! working days of its break, the Hùng Kings' day or the day given in its place, 30 April and
//! 1 May, 1 and 2 September); for another year only the fixed-date holidays are loaded, and an
//! administrator completes them (`PUT /calendar/{year}`). The unit names are those of Hậu Giang
//! before the 2025 reorganisation; the codes follow the national format but are illustrative.

use chrono::{Datelike, NaiveDate};

use super::seed::{self, Options, Seeded, UnitSpec, PASSWORD};
use crate::config::Config;
use crate::db::{self, Pool};
use crate::domain::calendar::{DayKind, SpecialDay};
use crate::id::Id;
use crate::store;

const fn unit(
    code: &'static str,
    name: &'static str,
    level: &'static str,
    parent: Option<usize>,
) -> UnitSpec {
    UnitSpec {
        code,
        name,
        level,
        parent,
    }
}

const PROVINCE: Option<usize> = Some(0);
const VI_THANH: Option<usize> = Some(8);
const NGA_BAY: Option<usize> = Some(14);
const CHAU_THANH: Option<usize> = Some(19);
const PHUNG_HIEP: Option<usize> = Some(25);

/// The demo province: the province, its departments (`000.00.0N`), districts (`000.00.1N`) and
/// their communes (`000.3N.1N`). Departments' level-2 groups match [`super::catalogue`]'s.
pub const UNITS: &[UnitSpec] = &[
    unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None),
    unit("000.00.01.H30", "Sở Tư pháp", "department", PROVINCE),
    unit("000.00.02.H30", "Sở Y tế", "department", PROVINCE),
    unit("000.00.03.H30", "Sở Công Thương", "department", PROVINCE),
    unit(
        "000.00.04.H30",
        "Sở Giao thông vận tải",
        "department",
        PROVINCE,
    ),
    unit(
        "000.00.05.H30",
        "Sở Kế hoạch và Đầu tư",
        "department",
        PROVINCE,
    ),
    unit(
        "000.00.06.H30",
        "Sở Tài nguyên và Môi trường",
        "department",
        PROVINCE,
    ),
    unit(
        "000.00.07.H30",
        "Sở Lao động - Thương binh và Xã hội",
        "department",
        PROVINCE,
    ),
    unit(
        "000.00.11.H30",
        "UBND thành phố Vị Thanh",
        "district",
        PROVINCE,
    ),
    unit(
        "000.31.11.H30",
        "UBND phường I, TP. Vị Thanh",
        "commune",
        VI_THANH,
    ),
    unit(
        "000.32.11.H30",
        "UBND phường III, TP. Vị Thanh",
        "commune",
        VI_THANH,
    ),
    unit(
        "000.33.11.H30",
        "UBND phường IV, TP. Vị Thanh",
        "commune",
        VI_THANH,
    ),
    unit(
        "000.34.11.H30",
        "UBND phường V, TP. Vị Thanh",
        "commune",
        VI_THANH,
    ),
    unit("000.35.11.H30", "UBND xã Hỏa Lựu", "commune", VI_THANH),
    unit(
        "000.00.12.H30",
        "UBND thành phố Ngã Bảy",
        "district",
        PROVINCE,
    ),
    unit("000.31.12.H30", "UBND phường Ngã Bảy", "commune", NGA_BAY),
    unit("000.32.12.H30", "UBND phường Lái Hiếu", "commune", NGA_BAY),
    unit(
        "000.33.12.H30",
        "UBND phường Hiệp Thành",
        "commune",
        NGA_BAY,
    ),
    unit("000.34.12.H30", "UBND xã Đại Thành", "commune", NGA_BAY),
    unit(
        "000.00.13.H30",
        "UBND huyện Châu Thành",
        "district",
        PROVINCE,
    ),
    unit(
        "000.31.13.H30",
        "UBND thị trấn Ngã Sáu",
        "commune",
        CHAU_THANH,
    ),
    unit(
        "000.32.13.H30",
        "UBND thị trấn Mái Dầm",
        "commune",
        CHAU_THANH,
    ),
    unit("000.33.13.H30", "UBND xã Đông Thạnh", "commune", CHAU_THANH),
    unit("000.34.13.H30", "UBND xã Phú Hữu", "commune", CHAU_THANH),
    unit("000.35.13.H30", "UBND xã Đông Phước", "commune", CHAU_THANH),
    unit(
        "000.00.14.H30",
        "UBND huyện Phụng Hiệp",
        "district",
        PROVINCE,
    ),
    unit(
        "000.31.14.H30",
        "UBND thị trấn Cây Dương",
        "commune",
        PHUNG_HIEP,
    ),
    unit(
        "000.32.14.H30",
        "UBND thị trấn Búng Tàu",
        "commune",
        PHUNG_HIEP,
    ),
    unit("000.33.14.H30", "UBND xã Tân Bình", "commune", PHUNG_HIEP),
    unit("000.34.14.H30", "UBND xã Hòa An", "commune", PHUNG_HIEP),
];

/// A year's holidays.
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
    match year {
        2025 => {
            days.extend((27..=31).map(|d| day(1, d, "Tết Nguyên đán")));
            days.push(day(4, 7, "Giỗ Tổ Hùng Vương"));
            days.push(day(9, 1, "Quốc khánh"));
        }
        2026 => {
            days.extend((16..=20).map(|d| day(2, d, "Tết Nguyên đán")));
            days.push(day(4, 27, "Giỗ Tổ Hùng Vương (nghỉ bù)"));
            days.push(day(9, 1, "Quốc khánh"));
        }
        _ => {}
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
    let mut all = Vec::new();
    for y in [year - 1, year] {
        let days = holidays(y);
        store::calendar::replace_year(&mut conn, y, &days).map_err(|e| e.to_string())?;
        all.extend(days);
    }
    let policy = store::fees::FeePolicy {
        id: Id::new(),
        name: "Giảm 50% lệ phí khi nộp hồ sơ trực tuyến".to_string(),
        legal_basis: "Nghị quyết của HĐND tỉnh về mức thu lệ phí (dữ liệu mẫu)".to_string(),
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
        units: UNITS.len() as u64,
        years: 1,
        seed: 2026,
        province: Some(UNITS),
        holidays: all,
    };
    seed::seed(pool, config, &options)
}

/// The accounts to try (username, password, role), for the command to print. Officials are
/// `bench.<role>.<n>` for the n-th unit of [`UNITS`].
pub fn credentials() -> Vec<String> {
    let name = |n: usize| UNITS[n].name;
    [
        (
            "bench.supervisor".to_string(),
            "supervisor: every report, every unit; /dashboard".to_string(),
        ),
        (
            "bench.leader.0".to_string(),
            format!("leader of {} (the whole province)", name(0)),
        ),
        (
            "bench.leader.8".to_string(),
            format!("leader of {} and the units below it", name(8)),
        ),
        (
            "bench.reception.9".to_string(),
            format!("reception (one-stop desk) of {}", name(9)),
        ),
        (
            "bench.specialist.9".to_string(),
            format!("specialist of {}", name(9)),
        ),
        (
            "bench.leader.9".to_string(),
            format!("leader of {}", name(9)),
        ),
        (
            "001090000000".to_string(),
            "a citizen (national id) with dossiers of their own".to_string(),
        ),
    ]
    .into_iter()
    .map(|(user, what)| format!("{user:<20} {PASSWORD:<12} {what}"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_units_form_a_tree_of_valid_codes() {
        assert_eq!(UNITS.len(), 30);
        let codes: std::collections::BTreeSet<&str> = UNITS.iter().map(|u| u.code).collect();
        assert_eq!(codes.len(), UNITS.len());
        for (i, u) in UNITS.iter().enumerate() {
            assert!(
                crate::domain::codes::UnitCode::parse(u.code).is_ok(),
                "{}",
                u.code
            );
            assert!(u.parent.is_none_or(|p| p < i), "{}", u.code);
        }
        assert_eq!(UNITS[8].level, "district");
        assert_eq!(UNITS[9].level, "commune");
    }
}
