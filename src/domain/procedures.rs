//! The procedure catalogue's rules (DOMAIN.md §4): levels, online service levels, processing
//! time limits, process-step shares, validity windows and how a new version takes over.

use chrono::NaiveDate;

use super::calendar::TimeUnit;

string_enum! {
    /// The level of government that decides the procedure.
    pub enum ProcedureLevel {
        Province => "province",
        District => "district",
        Commune => "commune",
    }
}

string_enum! {
    /// How far the procedure can be done online.
    pub enum OnlineService {
        /// Toàn trình: submitted, paid and returned online.
        Full => "full",
        /// Một phần: submitted online, something done in person.
        Partial => "partial",
        /// Not online.
        None => "none",
    }
}

/// The largest processing time accepted, per time unit (about four years either way).
pub fn max_processing_amount(unit: TimeUnit) -> u32 {
    match unit {
        TimeUnit::WorkingDays => 1000,
        TimeUnit::WorkingHours => 8000,
        TimeUnit::CalendarDays => 1500,
    }
}

/// Process steps share the processing time in whole percent: each share is positive and
/// together they make 100. No steps at all is allowed.
pub fn check_step_shares(shares: &[i32]) -> Result<(), String> {
    if shares.is_empty() {
        return Ok(());
    }
    if shares.iter().any(|s| *s <= 0) {
        return Err("every step's share must be positive".to_string());
    }
    let total: i32 = shares.iter().sum();
    if total != 100 {
        return Err(format!("the steps' shares add up to {total}, not 100"));
    }
    Ok(())
}

/// Whether a validity window contains `date`.
pub fn is_valid_on(valid_from: NaiveDate, valid_to: Option<NaiveDate>, date: NaiveDate) -> bool {
    valid_from <= date && valid_to.is_none_or(|to| date <= to)
}

/// A procedure is amended by publishing a new version. The new version must start after the
/// current one started; the current one then ends the day before the new one starts (unless it
/// already ended earlier). Returns the current version's new `valid_to`.
pub fn supersede(
    current_from: NaiveDate,
    current_to: Option<NaiveDate>,
    new_from: NaiveDate,
) -> Result<Option<NaiveDate>, String> {
    if new_from <= current_from {
        return Err(format!(
            "a new version must start after the current one ({current_from})"
        ));
    }
    let day_before = new_from
        .pred_opt()
        .expect("a date after another has a day before it");
    Ok(match current_to {
        Some(to) if to <= day_before => Some(to),
        _ => Some(day_before),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn step_shares() {
        assert!(check_step_shares(&[]).is_ok());
        assert!(check_step_shares(&[10, 60, 20, 10]).is_ok());
        assert!(check_step_shares(&[50, 40]).is_err());
        assert!(check_step_shares(&[0, 100]).is_err());
        assert!(check_step_shares(&[-10, 110]).is_err());
    }

    #[test]
    fn validity() {
        let cases = [
            ("2026-01-01", None, "2026-06-01", true),
            ("2026-01-01", None, "2025-12-31", false),
            ("2026-01-01", Some("2026-06-30"), "2026-06-30", true),
            ("2026-01-01", Some("2026-06-30"), "2026-07-01", false),
        ];
        for (from, to, date, expected) in cases {
            assert_eq!(is_valid_on(d(from), to.map(d), d(date)), expected);
        }
    }

    #[test]
    fn superseding() {
        let cases = [
            ("2026-01-01", None, "2026-07-01", Ok(Some("2026-06-30"))),
            (
                "2026-01-01",
                Some("2026-12-31"),
                "2026-07-01",
                Ok(Some("2026-06-30")),
            ),
            (
                "2026-01-01",
                Some("2026-03-31"),
                "2026-07-01",
                Ok(Some("2026-03-31")),
            ),
            ("2026-01-01", None, "2026-01-01", Err(())),
            ("2026-01-01", None, "2025-06-01", Err(())),
        ];
        for (from, to, new_from, expected) in cases {
            let got = supersede(d(from), to.map(d), d(new_from)).map_err(|_| ());
            assert_eq!(got, expected.map(|o| o.map(d)), "{from} {to:?} {new_from}");
        }
    }

    #[test]
    fn online_service_text() {
        for s in OnlineService::ALL {
            assert_eq!(OnlineService::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ProcedureLevel::parse("ward"), None);
    }
}
