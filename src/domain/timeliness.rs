//! Timeliness (DOMAIN.md §7): whether a dossier, or one step of it, ended early, on time or late,
//! and whether an open one is in time or overdue at a given moment.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

string_enum! {
    /// The judgement of a finished (`early`, `on_time`, `late`) or open (`in_time`, `overdue`)
    /// dossier or step.
    pub enum Timeliness {
        Early => "early",
        OnTime => "on_time",
        Late => "late",
        InTime => "in_time",
        Overdue => "overdue",
    }
}

/// A finished dossier or step: early when it ended on a local calendar day before the day of its
/// appointment, on time when it ended on that day and not after the appointment time, late
/// otherwise — and late whatever the dates when `late_mark` is set (a second supplement request).
pub fn finished(due: DateTime<Utc>, ended: DateTime<Utc>, late_mark: bool, tz: Tz) -> Timeliness {
    let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    if late_mark || ended > due {
        Timeliness::Late
    } else if day(ended) < day(due) {
        Timeliness::Early
    } else {
        Timeliness::OnTime
    }
}

/// An open dossier at the moment `at` (the end of a reporting period, or now): in time when `at`
/// is not after its appointment; overdue otherwise, or when `late_mark` is set.
pub fn open(due: DateTime<Utc>, at: DateTime<Utc>, late_mark: bool) -> Timeliness {
    if late_mark || at > due {
        Timeliness::Overdue
    } else {
        Timeliness::InTime
    }
}

/// The clock facts of a dossier that its timeliness depends on.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The appointment (moved later by supplements; an apology's new date does not count).
    pub due_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Set while the dossier waits for a supplement: the moment it was requested.
    pub paused_at: Option<DateTime<Utc>>,
    pub supplement_requests: i32,
}

/// A dossier's timeliness as of `now`: `None` until it has an appointment (it has not been
/// received). A dossier waiting for a supplement is judged at the moment the supplement was
/// requested; more than one supplement request makes it late.
pub fn of_dossier(clock: Clock, now: DateTime<Utc>, tz: Tz) -> Option<Timeliness> {
    let due = clock.due_at?;
    let late_mark = clock.supplement_requests > 1;
    Some(match clock.finished_at {
        Some(ended) => finished(due, ended, late_mark, tz),
        None => open(due, clock.paused_at.unwrap_or(now), late_mark),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TZ: Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn t(s: &str) -> DateTime<Utc> {
        let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        TZ.from_local_datetime(&local).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn finished_dossiers() {
        let due = "2026-11-24 15:00";
        let cases = [
            ("2026-11-23 16:59", false, Timeliness::Early),
            ("2026-11-24 07:30", false, Timeliness::OnTime),
            ("2026-11-24 15:00", false, Timeliness::OnTime),
            ("2026-11-24 15:01", false, Timeliness::Late),
            ("2026-11-25 08:00", false, Timeliness::Late),
            ("2026-11-20 09:00", true, Timeliness::Late),
            // 23:30 local on the 23rd is still the 23rd locally although the 24th is near in UTC.
            ("2026-11-23 23:30", false, Timeliness::Early),
        ];
        for (ended, late_mark, expected) in cases {
            assert_eq!(
                finished(t(due), t(ended), late_mark, TZ),
                expected,
                "{ended}"
            );
        }
    }

    #[test]
    fn open_dossiers() {
        let due = t("2026-11-24 15:00");
        assert_eq!(open(due, t("2026-11-24 15:00"), false), Timeliness::InTime);
        assert_eq!(open(due, t("2026-11-24 15:01"), false), Timeliness::Overdue);
        assert_eq!(open(due, t("2026-11-20 08:00"), true), Timeliness::Overdue);
    }

    #[test]
    fn dossiers() {
        let due = Some(t("2026-11-24 15:00"));
        let now = t("2026-11-26 10:00");
        let clock = |finished_at: Option<&str>, paused_at: Option<&str>, supplements: i32| Clock {
            due_at: due,
            finished_at: finished_at.map(t),
            paused_at: paused_at.map(t),
            supplement_requests: supplements,
        };
        let cases = [
            (clock(None, None, 0), Some(Timeliness::Overdue)),
            // Waiting for a supplement requested before the appointment: judged then, in time.
            (
                clock(None, Some("2026-11-24 09:00"), 1),
                Some(Timeliness::InTime),
            ),
            (
                clock(None, Some("2026-11-24 09:00"), 2),
                Some(Timeliness::Overdue),
            ),
            (
                clock(Some("2026-11-23 10:00"), None, 0),
                Some(Timeliness::Early),
            ),
            (
                clock(Some("2026-11-23 10:00"), None, 1),
                Some(Timeliness::Early),
            ),
            (
                clock(Some("2026-11-23 10:00"), None, 2),
                Some(Timeliness::Late),
            ),
            (
                clock(Some("2026-11-24 14:00"), None, 0),
                Some(Timeliness::OnTime),
            ),
        ];
        for (clock, expected) in cases {
            assert_eq!(of_dossier(clock, now, TZ), expected, "{clock:?}");
        }
        let unreceived = Clock {
            due_at: None,
            finished_at: None,
            paused_at: None,
            supplement_requests: 0,
        };
        assert_eq!(of_dossier(unreceived, now, TZ), None);
    }
}
