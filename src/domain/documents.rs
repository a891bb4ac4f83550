//! The personal document store's rules (DOMAIN.md §8): kinds of documents, validity, the code of
//! an electronic result, what a unit signs, and the issue periods of the digitization backlog.

use chrono::{Datelike, NaiveDate};

string_enum! {
    /// Where a stored document came from.
    pub enum DocumentKind {
        /// A dossier component checked and digitized by an officer.
        Component => "component",
        /// An electronic result issued by the system.
        Result => "result",
        /// A result issued on paper before the system, digitized in a backlog campaign.
        HistoricalResult => "historical_result",
    }
}

/// A document is valid on `today` unless its validity ended before.
pub fn is_valid(valid_until: Option<NaiveDate>, today: NaiveDate) -> bool {
    valid_until.is_none_or(|until| today <= until)
}

/// The code of the `n`th result issued for a dossier: `<dossier code>-KQ<n>`.
pub fn result_code(dossier_code: &str, n: usize) -> String {
    format!("{dossier_code}-KQ{n}")
}

/// The bytes a unit signs for an electronic result: its code and the SHA-256 of its content, so
/// that the signature proves both who issued the code and that the content is unaltered.
pub fn signed_message(code: &str, sha256: &str) -> Vec<u8> {
    format!("motcua-result:{code}:{sha256}").into_bytes()
}

/// A period of issue dates of the digitization backlog, by year, both ends included; an open end
/// has no bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub label: String,
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
}

impl Period {
    pub fn contains(&self, date: NaiveDate) -> bool {
        let year = date.year();
        self.from_year.is_none_or(|from| from <= year) && self.to_year.is_none_or(|to| year <= to)
    }
}

/// Parses periods such as `-2009,2010-2019,2020-` (the default of Bắc Giang's campaigns: before
/// 2009, 2010–2019, 2020 onward). They must be in order and must not overlap.
pub fn parse_periods(text: &str) -> Result<Vec<Period>, String> {
    let mut periods: Vec<Period> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (from, to) = part
            .split_once('-')
            .ok_or_else(|| format!("{part:?} is not a period such as 2010-2019, -2009 or 2020-"))?;
        let year = |s: &str| -> Result<Option<i32>, String> {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| format!("{s:?} is not a year"))
            }
        };
        let period = Period {
            label: part.to_string(),
            from_year: year(from)?,
            to_year: year(to)?,
        };
        if let (Some(f), Some(t)) = (period.from_year, period.to_year) {
            if f > t {
                return Err(format!("{part:?} ends before it starts"));
            }
        }
        if let Some(last) = periods.last() {
            match (last.to_year, period.from_year) {
                (Some(end), Some(start)) if start > end => {}
                _ => return Err(format!("{part:?} overlaps the period before it")),
            }
        }
        periods.push(period);
    }
    if periods.is_empty() {
        return Err("no period given".to_string());
    }
    Ok(periods)
}

/// The label of the period a date falls in.
pub fn period_of(periods: &[Period], date: NaiveDate) -> Option<&str> {
    periods
        .iter()
        .find(|p| p.contains(date))
        .map(|p| p.label.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods() {
        let periods = parse_periods("-2009,2010-2019,2020-").unwrap();
        let cases = [
            ("1998-05-01", Some("-2009")),
            ("2009-12-31", Some("-2009")),
            ("2010-01-01", Some("2010-2019")),
            ("2019-12-31", Some("2010-2019")),
            ("2020-01-01", Some("2020-")),
            ("2026-11-23", Some("2020-")),
        ];
        for (date, expected) in cases {
            assert_eq!(period_of(&periods, d(date)), expected, "{date}");
        }
        let gaps = parse_periods("2010-2019,2022-").unwrap();
        assert_eq!(period_of(&gaps, d("2021-01-01")), None);
        for bad in [
            "",
            "2010",
            "2019-2010",
            "2010-2019,2015-2020",
            "-2009,-2010",
            "x-2010",
        ] {
            assert!(parse_periods(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn codes_validity_and_messages() {
        assert_eq!(
            result_code("000.00.12.H30-261123-0001", 1),
            "000.00.12.H30-261123-0001-KQ1"
        );
        assert!(is_valid(None, d("2026-11-23")));
        assert!(is_valid(Some(d("2026-11-23")), d("2026-11-23")));
        assert!(!is_valid(Some(d("2026-11-22")), d("2026-11-23")));
        assert_ne!(signed_message("A-KQ1", "ab"), signed_message("A-KQ2", "ab"));
    }
}
