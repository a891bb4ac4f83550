//! The dossier's clock (DOMAIN.md §7): the appointment set at receipt, the 8-working-hour limit
//! for receiving online dossiers, the pause while a supplement is awaited, the apology's rules,
//! and the control sheet's per-step deadlines.
//!
//! Choices where the spec is silent:
//! - Paused time is counted in the procedure's own terms: working seconds for working-day and
//!   working-hour procedures, elapsed seconds for calendar-day ones; the appointment moves later
//!   by exactly that.
//! - Process steps share the processing time in whole percent. The steps are closed in order by
//!   the actions that end a stage of the work: `transfer` (reception), `submit_draft`
//!   (specialist), `approve` (leader) and `return_result` (return); each step's deadline is its
//!   start plus its share of the processing time plus the time paused during it.

use chrono::{DateTime, TimeDelta, Utc};

use super::calendar::{TimeUnit, WorkingCalendar};
use super::lifecycle::Action;

/// An online dossier must be received, or sent back for supplement, within this much working time
/// of its submission.
pub const RECEPTION_LIMIT_SECONDS: i64 = 8 * 3600;

/// When an online dossier submitted at `submitted_at` must have been received.
pub fn reception_due(calendar: &WorkingCalendar, submitted_at: DateTime<Utc>) -> DateTime<Utc> {
    calendar.add_working_seconds(submitted_at, RECEPTION_LIMIT_SECONDS)
}

/// The appointment of a dossier received at `received_at`.
pub fn appointment(
    calendar: &WorkingCalendar,
    received_at: DateTime<Utc>,
    amount: u32,
    unit: TimeUnit,
) -> DateTime<Utc> {
    calendar.deadline(received_at, amount, unit).due_at
}

/// The whole processing time in seconds of the procedure's own kind of time.
pub fn total_seconds(calendar: &WorkingCalendar, amount: u32, unit: TimeUnit) -> i64 {
    let amount = i64::from(amount);
    match unit {
        TimeUnit::WorkingDays => amount * calendar.hours().day_seconds(),
        TimeUnit::WorkingHours => amount * 3600,
        TimeUnit::CalendarDays => amount * 86_400,
    }
}

/// The time that passed between `from` and `to`, in the procedure's kind of time.
pub fn elapsed(
    calendar: &WorkingCalendar,
    unit: TimeUnit,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> i64 {
    match unit {
        TimeUnit::CalendarDays => (to - from).num_seconds().max(0),
        _ => calendar.working_seconds_between(from, to),
    }
}

/// `instant` moved later by `seconds` of the procedure's kind of time.
pub fn extend(
    calendar: &WorkingCalendar,
    unit: TimeUnit,
    instant: DateTime<Utc>,
    seconds: i64,
) -> DateTime<Utc> {
    match unit {
        TimeUnit::CalendarDays => instant + TimeDelta::seconds(seconds),
        _ => calendar.add_working_seconds(instant, seconds),
    }
}

/// Why an apology is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApologyRefusal {
    AlreadyGiven,
    TooLate,
    NotLater,
    TooFar,
}

impl ApologyRefusal {
    pub fn message(&self) -> &'static str {
        match self {
            ApologyRefusal::AlreadyGiven => "an apology was already given for this dossier",
            ApologyRefusal::TooLate => {
                "an apology must come at least one working day before the appointment"
            }
            ApologyRefusal::NotLater => "the new appointment must be after the current one",
            ApologyRefusal::TooFar => {
                "the new appointment must be within a year of the current one"
            }
        }
    }
}

/// An apology letter sets one new appointment, at most once per dossier, at least one working
/// day before the current appointment, and the new date must be later than it.
pub fn check_apology(
    calendar: &WorkingCalendar,
    now: DateTime<Utc>,
    due_at: DateTime<Utc>,
    already_given: bool,
    new_due_at: DateTime<Utc>,
) -> Result<(), ApologyRefusal> {
    if already_given {
        return Err(ApologyRefusal::AlreadyGiven);
    }
    if calendar.working_seconds_between(now, due_at) < calendar.hours().day_seconds() {
        return Err(ApologyRefusal::TooLate);
    }
    if new_due_at <= due_at {
        return Err(ApologyRefusal::NotLater);
    }
    if new_due_at > due_at + chrono::TimeDelta::days(365) {
        return Err(ApologyRefusal::TooFar);
    }
    Ok(())
}

/// Whether an action closes the current step of the control sheet.
pub fn ends_step(action: Action) -> bool {
    matches!(
        action,
        Action::Transfer | Action::SubmitDraft | Action::Approve | Action::ReturnResult
    )
}

/// The deadline of a step that started at `started_at`, with `share` percent of the processing
/// time and `paused` seconds paused since it started.
pub fn step_due(
    calendar: &WorkingCalendar,
    amount: u32,
    unit: TimeUnit,
    started_at: DateTime<Utc>,
    share: i32,
    paused: i64,
) -> DateTime<Utc> {
    let allotted = total_seconds(calendar, amount, unit) * i64::from(share) / 100;
    extend(calendar, unit, started_at, allotted + paused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{DayKind, SpecialDay, WorkingHours};
    use chrono::TimeZone;

    const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn t(s: &str) -> DateTime<Utc> {
        let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        TZ.from_local_datetime(&local).unwrap().with_timezone(&Utc)
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::new(
            TZ,
            WorkingHours::default(),
            [SpecialDay {
                date: "2026-09-02".parse().unwrap(),
                kind: DayKind::Holiday,
                name: "Quốc khánh".into(),
            }],
        )
    }

    #[test]
    fn appointments_and_reception_limit() {
        let cal = calendar();
        let cases = [
            (
                "2026-11-23 15:00",
                1,
                TimeUnit::WorkingDays,
                "2026-11-24 15:00",
            ),
            (
                "2026-11-21 10:00",
                1,
                TimeUnit::WorkingDays,
                "2026-11-23 17:00",
            ),
            (
                "2026-09-01 15:00",
                1,
                TimeUnit::WorkingDays,
                "2026-09-03 15:00",
            ),
            (
                "2026-11-20 10:00",
                3,
                TimeUnit::CalendarDays,
                "2026-11-23 10:00",
            ),
            (
                "2026-11-23 11:00",
                1,
                TimeUnit::WorkingHours,
                "2026-11-23 13:30",
            ),
        ];
        for (received, amount, unit, due) in cases {
            assert_eq!(
                appointment(&cal, t(received), amount, unit),
                t(due),
                "{received}"
            );
        }
        // Submitted Friday 16:00: one hour on Friday, seven on Monday: Monday 16:00.
        assert_eq!(
            reception_due(&cal, t("2026-11-20 16:00")),
            t("2026-11-23 16:00")
        );
    }

    #[test]
    fn pauses_move_the_appointment_by_the_working_time_paused() {
        let cal = calendar();
        let unit = TimeUnit::WorkingDays;
        // Paused Monday 15:00 → Wednesday 09:30: Mon 2h + Tue 8h + Wed 2h = 12 working hours.
        let paused = elapsed(&cal, unit, t("2026-11-23 15:00"), t("2026-11-25 09:30"));
        assert_eq!(paused, 12 * 3600);
        let due = t("2026-11-26 15:00");
        // Thursday 15:00 + 12h: Thu 2h, Fri 8h, Mon 07:30-09:30.
        assert_eq!(extend(&cal, unit, due, paused), t("2026-11-30 09:30"));
        // Calendar-day procedures count elapsed time.
        let calendar_days = TimeUnit::CalendarDays;
        let paused = elapsed(
            &cal,
            calendar_days,
            t("2026-11-23 15:00"),
            t("2026-11-25 09:30"),
        );
        assert_eq!(paused, 42 * 3600 + 30 * 60);
        assert_eq!(
            extend(&cal, calendar_days, t("2026-11-26 15:00"), paused),
            t("2026-11-28 09:30")
        );
    }

    #[test]
    fn apology_rules() {
        let cal = calendar();
        let due = t("2026-11-26 15:00");
        let later = t("2026-11-30 15:00");
        let cases = [
            ("2026-11-24 10:00", false, later, Ok(())),
            ("2026-11-25 15:00", false, later, Ok(())),
            (
                "2026-11-25 15:01",
                false,
                later,
                Err(ApologyRefusal::TooLate),
            ),
            (
                "2026-11-24 10:00",
                true,
                later,
                Err(ApologyRefusal::AlreadyGiven),
            ),
            (
                "2026-11-24 10:00",
                false,
                due,
                Err(ApologyRefusal::NotLater),
            ),
            (
                "2026-11-24 10:00",
                false,
                t("2027-12-01 08:00"),
                Err(ApologyRefusal::TooFar),
            ),
        ];
        for (now, given, new_due, expected) in cases {
            assert_eq!(
                check_apology(&cal, t(now), due, given, new_due),
                expected,
                "{now}"
            );
        }
    }

    #[test]
    fn step_deadlines() {
        let cal = calendar();
        // 10 working days, a 10% step: one working day.
        let due = step_due(
            &cal,
            10,
            TimeUnit::WorkingDays,
            t("2026-11-23 15:00"),
            10,
            0,
        );
        assert_eq!(due, t("2026-11-24 15:00"));
        // With two working hours paused during the step.
        let due = step_due(
            &cal,
            10,
            TimeUnit::WorkingDays,
            t("2026-11-23 15:00"),
            10,
            7200,
        );
        assert_eq!(due, t("2026-11-24 17:00"));
        assert!(ends_step(Action::Transfer) && !ends_step(Action::Assign));
    }
}
