//! The working calendar and working-time arithmetic (DOMAIN.md §7 "Time").
//!
//! This module owns everything about *when the administration works*: which days are working days,
//! which local hours are working hours, and how an amount of processing time (working days, working
//! hours or calendar days) is laid over them to give an appointment (due) instant. It is pure: no I/O,
//! no clock, no global state; holidays come in as data ([`SpecialDay`]) maintained by the
//! administrator.
//!
//! # Rules
//!
//! - **Working days** are Monday to Friday, minus holidays, plus compensatory working days (a weekend
//!   day worked in exchange for a bridged holiday). A [`DayKind::Holiday`] special day makes any day a
//!   holiday (a holiday on a Saturday is reported as a holiday, with its name); a
//!   [`DayKind::WorkingDay`] special day on a Saturday or Sunday makes it a compensatory working day.
//!   A `WorkingDay` entry on a Monday–Friday changes nothing (the day already works). When the same
//!   date is given twice, the last entry wins.
//! - **Working hours** are sorted, non-overlapping local periods in the calendar's time zone (default
//!   07:30–11:30 and 13:00–17:00 in Asia/Ho_Chi_Minh, UTC+7 without daylight saving). Every instant
//!   going in or out of this module is UTC; local time is only used inside.
//! - **N working days** are `N × day_seconds()` of working time and **N working hours** are
//!   `N × 3600` s of working time, laid over the working periods of working days. Received on Monday
//!   at 15:00 with 1 working day: due Tuesday at 15:00.
//! - A start **outside working time** (before the first period, in a break, after the last period,
//!   on a non-working day, or exactly at the end of a period) counts from the start of the next
//!   working period: 1 working day from Saturday 10:00 is due Monday at 17:00.
//! - When the time runs out **exactly at the end of a period**, the due instant is that period's end
//!   (e.g. 11:30 or 17:00), never the start of the next period.
//!
//! # Choices
//!
//! - **Calendar days** count calendar time, as DOMAIN.md says: the due instant is the same local
//!   wall-clock time `N` local dates later (3 calendar days from Friday 10:00 is Monday 10:00). It is
//!   *not* moved by weekends or holidays, even when it falls on one; such a deadline has no
//!   working seconds, no skipped days and no effective start other than the start itself.
//! - **Zero amounts** are due at once: adding zero (or a negative number of) working seconds returns
//!   the start unchanged, and a zero-amount [`Deadline`] has `due_at == effective_start == start`
//!   and empty explanation lists, whatever the unit.
//! - Working time is measured in **local wall-clock time** over the configured periods. In a zone
//!   with daylight saving (not the case of Asia/Ho_Chi_Minh) a local time that does not exist is
//!   moved forward by the length of the gap and an ambiguous one takes the earlier instant.
//! - Instants keep their sub-second part; [`WorkingCalendar::working_seconds_between`] truncates the
//!   working time to whole seconds. Working periods themselves are whole seconds.
//! - Results that would fall outside chrono's representable range **saturate** to
//!   [`DateTime::<Utc>::MAX_UTC`]; nothing panics and every computation terminates. Whole weeks that
//!   contain no special day are jumped in one step, so the cost is proportional to the number of
//!   special days met plus a few days, not to the amount (1000 working days take microseconds).
//! - The explanation lists of a [`Deadline`] (`skipped`, `compensatory`) walk the days between start
//!   and due; for absurd amounts they are cut after 36 525 days (100 years) past the start's local
//!   date.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

/// Longest span, in days from the start's local date, that the explanation lists of a [`Deadline`]
/// cover (100 years).
const MAX_EXPLAINED_DAYS: u64 = 36_525;

string_enum! {
    /// What an administrator-declared special day does to the calendar.
    pub enum DayKind {
        /// A public holiday (or bridged day off): nobody works, whatever the weekday.
        Holiday => "holiday",
        /// A compensatory working day: a Saturday or Sunday worked in exchange for a bridged holiday.
        WorkingDay => "working_day",
    }
}

/// One administrator-declared exception to the weekly rhythm: a holiday or a compensatory working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    /// The local date concerned.
    pub date: NaiveDate,
    /// Whether the date is a holiday or a worked weekend day.
    pub kind: DayKind,
    /// Human-readable name, e.g. "Tết Nguyên đán" or "Làm bù cho ngày 02/01".
    pub name: String,
}

string_enum! {
    /// The unit in which a procedure's maximum processing time is expressed.
    pub enum TimeUnit {
        /// Working days: each is one working day's length of working time.
        WorkingDays => "working_days",
        /// Working hours: each is 3600 seconds of working time.
        WorkingHours => "working_hours",
        /// Calendar days: plain calendar time, not moved by weekends or holidays.
        CalendarDays => "calendar_days",
    }
}

/// The daily working periods, in local time: sorted, non-overlapping, each starting before it ends,
/// at least one, all on whole seconds. Periods may touch (`08:00-12:00,12:00-16:00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    periods: Vec<(NaiveTime, NaiveTime)>,
    day_seconds: i64,
}

impl WorkingHours {
    /// Builds working hours from `(start, end)` periods, checking that there is at least one, that
    /// each starts before it ends, that they are on whole seconds, and that they are listed in order
    /// without overlap. The error text says what is wrong.
    pub fn new(periods: Vec<(NaiveTime, NaiveTime)>) -> Result<Self, String> {
        if periods.is_empty() {
            return Err(
                "working hours are empty: give at least one period such as 07:30-11:30".into(),
            );
        }
        let mut previous: Option<(NaiveTime, NaiveTime)> = None;
        let mut day_seconds = 0;
        for &(start, end) in &periods {
            let shown = format!("{}-{}", show_time(start), show_time(end));
            if start.nanosecond() != 0 || end.nanosecond() != 0 {
                return Err(format!(
                    "period {shown} is not on whole seconds (or is a leap second)"
                ));
            }
            if start >= end {
                return Err(format!("period {shown} must start before it ends"));
            }
            if let Some((prev_start, prev_end)) = previous {
                if start < prev_end {
                    return Err(format!(
                        "period {shown} overlaps or comes before the previous period {}-{}: \
                         list periods in order, without overlap",
                        show_time(prev_start),
                        show_time(prev_end)
                    ));
                }
            }
            day_seconds += (end - start).num_seconds();
            previous = Some((start, end));
        }
        Ok(WorkingHours {
            periods,
            day_seconds,
        })
    }

    /// Parses a comma-separated list of local periods such as `"07:30-11:30,13:00-17:00"`. Times are
    /// `HH:MM` or `HH:MM:SS`; whitespace around times, dashes and commas is tolerated. The error text
    /// says what is wrong: empty input or period, a bad time, a period that does not start before it
    /// ends, or periods that overlap or are out of order.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err(
                "working hours are empty: expected periods like 07:30-11:30,13:00-17:00".into(),
            );
        }
        let mut periods = Vec::new();
        for (index, raw) in s.split(',').enumerate() {
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(format!(
                    "working period {} is empty (stray comma?) in '{}'",
                    index + 1,
                    s.trim()
                ));
            }
            let parts: Vec<&str> = raw.split('-').map(str::trim).collect();
            if parts.len() != 2 {
                return Err(format!(
                    "working period '{raw}' must be written START-END, e.g. 07:30-11:30"
                ));
            }
            let start = parse_time(parts[0])
                .ok_or_else(|| format!("bad time '{}' in working period '{raw}'", parts[0]))?;
            let end = parse_time(parts[1])
                .ok_or_else(|| format!("bad time '{}' in working period '{raw}'", parts[1]))?;
            periods.push((start, end));
        }
        WorkingHours::new(periods)
    }

    /// The local periods, sorted and non-overlapping, each `(start, end)` with `start < end`.
    pub fn periods(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.periods
    }

    /// The length of a working day in seconds (28 800, i.e. 8 h, for the default hours).
    pub fn day_seconds(&self) -> i64 {
        self.day_seconds
    }
}

impl Default for WorkingHours {
    /// 07:30–11:30 and 13:00–17:00, the default of DOMAIN.md §7.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid constant time");
        WorkingHours {
            periods: vec![(t(7, 30), t(11, 30)), (t(13, 0), t(17, 0))],
            day_seconds: 8 * 3600,
        }
    }
}

impl fmt::Display for WorkingHours {
    /// Writes the periods in the form [`WorkingHours::parse`] reads, e.g. `07:30-11:30,13:00-17:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(start, end)) in self.periods.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}-{}", show_time(start), show_time(end))?;
        }
        Ok(())
    }
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    let t = NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()?;
    // Reject leap seconds ("23:59:60"): a working period is made of ordinary seconds.
    (t.nanosecond() == 0).then_some(t)
}

fn show_time(t: NaiveTime) -> String {
    if t.second() == 0 && t.nanosecond() == 0 {
        t.format("%H:%M").to_string()
    } else {
        t.format("%H:%M:%S").to_string()
    }
}

/// What kind of day a local date is, with the administrator's name for special days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayStatus {
    /// An ordinary Monday–Friday working day.
    Working,
    /// A Saturday or Sunday worked in exchange for a bridged holiday, with its name.
    CompensatoryWorkingDay(String),
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A holiday (on any weekday), with its name.
    Holiday(String),
}

/// Why a day was passed over when laying working time over the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// An ordinary Saturday.
    Saturday,
    /// An ordinary Sunday.
    Sunday,
    /// A holiday (this wins over the weekend when a holiday falls on a Saturday or Sunday).
    Holiday,
}

impl SkipReason {
    /// The stable text code: `"saturday"`, `"sunday"` or `"holiday"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SkipReason::Saturday => "saturday",
            SkipReason::Sunday => "sunday",
            SkipReason::Holiday => "holiday",
        }
    }
}

/// A non-working day that a deadline passed over, for explaining how the due date was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedDay {
    /// The local date passed over.
    pub date: NaiveDate,
    /// Why it does not work.
    pub reason: SkipReason,
    /// The holiday's name; `None` for an ordinary weekend day.
    pub name: Option<String>,
}

/// A computed appointment (due) instant, with what is needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The instant the processing time starts from (the receipt).
    pub start: DateTime<Utc>,
    /// The first working instant at or after `start`, from which working time is counted (equal to
    /// `start` for calendar days and for a zero amount).
    pub effective_start: DateTime<Utc>,
    /// The appointment instant.
    pub due_at: DateTime<Utc>,
    /// The working time added, in seconds (0 for calendar days and for a zero amount).
    pub working_seconds: i64,
    /// Non-working days passed over, in date order, from the start's local date to the due
    /// instant's local date inclusive (empty for calendar days and for a zero amount).
    pub skipped: Vec<SkippedDay>,
    /// Compensatory working days (weekend days worked) whose working time was counted, in date
    /// order, with their names.
    pub compensatory: Vec<(NaiveDate, String)>,
}

/// A working calendar: a time zone, daily working hours, and administrator-declared special days.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    tz: Tz,
    hours: WorkingHours,
    special: BTreeMap<NaiveDate, (DayKind, String)>,
}

impl Default for WorkingCalendar {
    /// Asia/Ho_Chi_Minh, the default working hours, and no special days.
    fn default() -> Self {
        WorkingCalendar::new(
            chrono_tz::Asia::Ho_Chi_Minh,
            WorkingHours::default(),
            Vec::new(),
        )
    }
}

impl WorkingCalendar {
    /// Builds a calendar in time zone `tz` with the given working hours and special days. When the
    /// same date appears more than once, the last entry wins.
    pub fn new(tz: Tz, hours: WorkingHours, days: impl IntoIterator<Item = SpecialDay>) -> Self {
        let special = days
            .into_iter()
            .map(|d| (d.date, (d.kind, d.name)))
            .collect();
        WorkingCalendar { tz, hours, special }
    }

    /// The calendar's time zone, in which dates and working hours are local.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The daily working hours.
    pub fn hours(&self) -> &WorkingHours {
        &self.hours
    }

    /// The status of a local date: a declared holiday on any day; a declared working day on a
    /// Saturday or Sunday is a compensatory working day; otherwise Monday–Friday work and Saturday
    /// and Sunday are the weekend.
    pub fn day_status(&self, date: NaiveDate) -> DayStatus {
        match (self.special.get(&date), is_weekend(date)) {
            (Some((DayKind::Holiday, name)), _) => DayStatus::Holiday(name.clone()),
            (Some((DayKind::WorkingDay, name)), true) => {
                DayStatus::CompensatoryWorkingDay(name.clone())
            }
            (_, true) => DayStatus::Weekend,
            (_, false) => DayStatus::Working,
        }
    }

    /// Whether the administration works on this local date (an ordinary or compensatory working day).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.special.get(&date) {
            Some((DayKind::Holiday, _)) => false,
            Some((DayKind::WorkingDay, _)) => true,
            None => !is_weekend(date),
        }
    }

    /// The instant at which `seconds` of working time have elapsed after `start`. A start outside
    /// working time counts from the next working period; time running out exactly at the end of a
    /// period gives that period's end. Zero or negative `seconds` return `start` unchanged. A result
    /// beyond chrono's range saturates to [`DateTime::<Utc>::MAX_UTC`].
    pub fn add_working_seconds(&self, start: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
        if seconds <= 0 {
            return start;
        }
        let Some(amount) = TimeDelta::try_seconds(seconds) else {
            // More than 2^53 s or so: far beyond the last representable date anyway.
            return DateTime::<Utc>::MAX_UTC;
        };
        self.add_local(self.to_local(start), amount)
            .map_or(DateTime::<Utc>::MAX_UTC, |due| self.to_utc(due))
    }

    /// The working time, in whole seconds, between two instants: the part of `[from, to)` that lies
    /// in working periods of working days. Zero when `to <= from`. This is the inverse of
    /// [`WorkingCalendar::add_working_seconds`]: `working_seconds_between(s, add_working_seconds(s,
    /// n)) == n` for `n >= 0`.
    pub fn working_seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let (a, b) = (self.to_local(from), self.to_local(to));
        if b <= a {
            return 0;
        }
        let (a_date, b_date) = (a.date(), b.date());
        let total = if a_date == b_date {
            self.worked(a_date, Some(a.time()), Some(b.time()))
        } else {
            let first = self.worked(a_date, Some(a.time()), None);
            let last = self.worked(b_date, None, Some(b.time()));
            // a_date < b_date, so a_date has a successor.
            let full_days = a_date
                .succ_opt()
                .map_or(0, |next| self.count_working_days(next, b_date));
            first + last + TimeDelta::seconds(full_days * self.hours.day_seconds)
        };
        total.num_seconds()
    }

    /// The appointment for `amount` units of processing time received at `start`, with its
    /// explanation. Working days and working hours are laid over working time (see the module
    /// documentation); calendar days add `amount` local days at the same local time, unmoved by
    /// weekends and holidays. A zero amount is due at `start`.
    pub fn deadline(&self, start: DateTime<Utc>, amount: u32, unit: TimeUnit) -> Deadline {
        let immediate = Deadline {
            start,
            effective_start: start,
            due_at: start,
            working_seconds: 0,
            skipped: Vec::new(),
            compensatory: Vec::new(),
        };
        if amount == 0 {
            return immediate;
        }
        let local_start = self.to_local(start);
        let working_seconds = match unit {
            TimeUnit::CalendarDays => {
                let due_at = local_start
                    .checked_add_days(Days::new(u64::from(amount)))
                    .map_or(DateTime::<Utc>::MAX_UTC, |due| self.to_utc(due));
                return Deadline {
                    due_at,
                    ..immediate
                };
            }
            TimeUnit::WorkingDays => i64::from(amount) * self.hours.day_seconds,
            TimeUnit::WorkingHours => i64::from(amount) * 3600,
        };
        let effective = self.first_working_local(local_start);
        let due = self.add_local(local_start, TimeDelta::seconds(working_seconds));
        let limit = local_start
            .date()
            .checked_add_days(Days::new(MAX_EXPLAINED_DAYS))
            .unwrap_or(NaiveDate::MAX);
        let last = due.map_or(limit, |d| d.date().min(limit));

        let mut skipped = Vec::new();
        let mut date = local_start.date();
        while date <= last {
            match self.day_status(date) {
                DayStatus::Holiday(name) => skipped.push(SkippedDay {
                    date,
                    reason: SkipReason::Holiday,
                    name: Some(name),
                }),
                DayStatus::Weekend => skipped.push(SkippedDay {
                    date,
                    reason: if date.weekday() == Weekday::Sat {
                        SkipReason::Saturday
                    } else {
                        SkipReason::Sunday
                    },
                    name: None,
                }),
                DayStatus::Working | DayStatus::CompensatoryWorkingDay(_) => {}
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }

        // Working time is counted on every working day from the effective start's date to the due
        // date inclusive (the effective start lies inside a period and the due instant ends one).
        let compensatory = match effective {
            Some(first) if first.date() <= last => self
                .special
                .range(first.date()..=last)
                .filter(|(date, (kind, _))| *kind == DayKind::WorkingDay && is_weekend(**date))
                .map(|(date, (_, name))| (*date, name.clone()))
                .collect(),
            _ => Vec::new(),
        };

        Deadline {
            start,
            effective_start: effective.map_or(DateTime::<Utc>::MAX_UTC, |e| self.to_utc(e)),
            due_at: due.map_or(DateTime::<Utc>::MAX_UTC, |d| self.to_utc(d)),
            working_seconds,
            skipped,
            compensatory,
        }
    }

    /// The local date of an instant in the calendar's time zone.
    pub fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        self.to_local(instant).date()
    }

    /// Local wall-clock time of a UTC instant, clamped to chrono's range at the extremes.
    fn to_local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        let utc = instant.naive_utc();
        let offset = self.tz.offset_from_utc_datetime(&utc).fix();
        utc.checked_add_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))
            .unwrap_or(if offset.local_minus_utc() > 0 {
                NaiveDateTime::MAX
            } else {
                NaiveDateTime::MIN
            })
    }

    /// UTC instant of a local wall-clock time: the earlier instant when ambiguous, moved forward by
    /// the gap when it does not exist, saturated at chrono's range.
    fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let offset = match self.tz.offset_from_local_datetime(&local) {
            LocalResult::Single(o) | LocalResult::Ambiguous(o, _) => Some(o.fix()),
            // In a gap: keep the offset in force before it, which moves the time forward.
            LocalResult::None => local
                .checked_sub_signed(TimeDelta::days(1))
                .and_then(|before| self.tz.offset_from_local_datetime(&before).earliest())
                .map(|o| o.fix()),
        };
        offset
            .and_then(|o| {
                local.checked_sub_signed(TimeDelta::seconds(i64::from(o.local_minus_utc())))
            })
            .map(|utc| utc.and_utc())
            .unwrap_or(if local.year() > 0 {
                DateTime::<Utc>::MAX_UTC
            } else {
                DateTime::<Utc>::MIN_UTC
            })
    }

    /// Lays `amount` (> 0) of working time over the calendar from local time `start`; `None` when
    /// the result is beyond chrono's range.
    fn add_local(&self, start: NaiveDateTime, amount: TimeDelta) -> Option<NaiveDateTime> {
        let week_seconds = 5 * self.hours.day_seconds;
        let mut date = start.date();
        // Working time before this time of `date` does not count (only on the first day).
        let mut floor = Some(start.time());
        let mut remaining = amount;
        loop {
            if floor.is_none() {
                // Jump whole weeks free of special days: each holds exactly five working days.
                // Keep at least a second to lay period by period, so that running out exactly at
                // a period's end is found there.
                let free_weeks = self
                    .special
                    .range(date..)
                    .next()
                    .map_or(i64::MAX, |(next, _)| (*next - date).num_days() / 7);
                let needed = (remaining.num_seconds() - 1).max(0) / week_seconds;
                let weeks = free_weeks.min(needed);
                if weeks > 0 {
                    let days = u64::try_from(weeks).ok()?.checked_mul(7)?;
                    date = date.checked_add_days(Days::new(days))?;
                    remaining -= TimeDelta::seconds(weeks * week_seconds);
                }
            }
            if self.is_working_day(date) {
                for &(period_start, period_end) in self.hours.periods() {
                    let begin = match floor {
                        Some(f) if f > period_start => f,
                        _ => period_start,
                    };
                    if begin >= period_end {
                        continue;
                    }
                    let available = period_end - begin;
                    if remaining <= available {
                        return Some(date.and_time(begin) + remaining);
                    }
                    remaining -= available;
                }
            }
            date = date.succ_opt()?;
            floor = None;
        }
    }

    /// The first local working instant at or after `start` (a period's end is not working time).
    fn first_working_local(&self, start: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut date = start.date();
        let mut floor = Some(start.time());
        loop {
            if self.is_working_day(date) {
                for &(period_start, period_end) in self.hours.periods() {
                    let begin = match floor {
                        Some(f) if f > period_start => f,
                        _ => period_start,
                    };
                    if begin < period_end {
                        return Some(date.and_time(begin));
                    }
                }
            }
            date = date.succ_opt()?;
            floor = None;
        }
    }

    /// Working time on `date` between local times `from` and `to` (whole day when `None`).
    fn worked(&self, date: NaiveDate, from: Option<NaiveTime>, to: Option<NaiveTime>) -> TimeDelta {
        if !self.is_working_day(date) {
            return TimeDelta::zero();
        }
        self.hours
            .periods()
            .iter()
            .map(|&(period_start, period_end)| {
                let begin = from.map_or(period_start, |f| f.max(period_start));
                let end = to.map_or(period_end, |t| t.min(period_end));
                if end > begin {
                    end - begin
                } else {
                    TimeDelta::zero()
                }
            })
            .fold(TimeDelta::zero(), |sum, part| sum + part)
    }

    /// Number of working days in `[from, to)`, in time proportional to the special days in range.
    fn count_working_days(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to <= from {
            return 0;
        }
        let days = (to - from).num_days();
        let mut count = days / 7 * 5;
        let mut weekday = from.weekday();
        for _ in 0..days % 7 {
            if !matches!(weekday, Weekday::Sat | Weekday::Sun) {
                count += 1;
            }
            weekday = weekday.succ();
        }
        for (date, (kind, _)) in self.special.range(from..to) {
            match (kind, is_weekend(*date)) {
                (DayKind::Holiday, false) => count -= 1,
                (DayKind::WorkingDay, true) => count += 1,
                _ => {}
            }
        }
        count
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 28_800;
    const HOUR: i64 = 3_600;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn holiday(date: NaiveDate, name: &str) -> SpecialDay {
        SpecialDay {
            date,
            kind: DayKind::Holiday,
            name: name.into(),
        }
    }

    /// A test calendar (not an official one) with holidays of 2026 and New Year 2027.
    fn specials() -> Vec<SpecialDay> {
        let mut days = vec![
            holiday(d(2026, 1, 1), "Tết Dương lịch"),
            holiday(d(2026, 1, 2), "Nghỉ bù Tết Dương lịch"),
            SpecialDay {
                date: d(2026, 1, 10),
                kind: DayKind::WorkingDay,
                name: "Làm bù cho ngày 02/01".into(),
            },
            holiday(d(2026, 4, 27), "Giỗ Tổ Hùng Vương (nghỉ bù)"),
            holiday(d(2026, 4, 30), "Ngày Chiến thắng"),
            holiday(d(2026, 5, 1), "Quốc tế Lao động"),
            holiday(d(2026, 9, 2), "Quốc khánh"),
            holiday(d(2027, 1, 1), "Tết Dương lịch"),
        ];
        for day in 14..=22 {
            days.push(holiday(d(2026, 2, day), "Tết Nguyên đán"));
        }
        days
    }

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(
            chrono_tz::Asia::Ho_Chi_Minh,
            WorkingHours::default(),
            specials(),
        )
    }

    fn cal_with(hours: &str) -> WorkingCalendar {
        WorkingCalendar::new(
            chrono_tz::Asia::Ho_Chi_Minh,
            WorkingHours::parse(hours).unwrap(),
            specials(),
        )
    }

    /// Local "YYYY-MM-DD HH:MM[:SS]" in the calendar's zone → UTC.
    fn at_in(c: &WorkingCalendar, s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
            .unwrap_or_else(|e| panic!("bad test time {s}: {e}"));
        c.tz()
            .from_local_datetime(&naive)
            .single()
            .unwrap()
            .to_utc()
    }

    fn at(s: &str) -> DateTime<Utc> {
        at_in(&cal(), s)
    }

    fn show_in(c: &WorkingCalendar, t: DateTime<Utc>) -> String {
        t.with_timezone(&c.tz())
            .format("%Y-%m-%d %H:%M %a")
            .to_string()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn fixture_weekdays_are_as_the_tables_assume() {
        for (date, weekday) in [
            (d(2026, 1, 1), Weekday::Thu),
            (d(2026, 1, 10), Weekday::Sat),
            (d(2026, 2, 13), Weekday::Fri),
            (d(2026, 2, 14), Weekday::Sat),
            (d(2026, 2, 22), Weekday::Sun),
            (d(2026, 3, 2), Weekday::Mon),
            (d(2026, 4, 27), Weekday::Mon),
            (d(2026, 9, 2), Weekday::Wed),
            (d(2026, 12, 31), Weekday::Thu),
            (d(2027, 1, 1), Weekday::Fri),
        ] {
            assert_eq!(date.weekday(), weekday, "{date}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for kind in [DayKind::Holiday, DayKind::WorkingDay] {
            assert_eq!(DayKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(DayKind::Holiday.as_str(), "holiday");
        assert_eq!(DayKind::WorkingDay.as_str(), "working_day");
        assert_eq!(DayKind::parse("Holiday"), None);
        for unit in [
            TimeUnit::WorkingDays,
            TimeUnit::WorkingHours,
            TimeUnit::CalendarDays,
        ] {
            assert_eq!(TimeUnit::parse(unit.as_str()), Some(unit));
        }
        assert_eq!(TimeUnit::WorkingDays.as_str(), "working_days");
        assert_eq!(TimeUnit::WorkingHours.as_str(), "working_hours");
        assert_eq!(TimeUnit::CalendarDays.as_str(), "calendar_days");
        assert_eq!(TimeUnit::parse("days"), None);
        assert_eq!(SkipReason::Saturday.as_str(), "saturday");
        assert_eq!(SkipReason::Sunday.as_str(), "sunday");
        assert_eq!(SkipReason::Holiday.as_str(), "holiday");
    }

    #[test]
    fn default_working_hours() {
        let h = WorkingHours::default();
        assert_eq!(h.periods(), &[(t(7, 30), t(11, 30)), (t(13, 0), t(17, 0))]);
        assert_eq!(h.day_seconds(), 28_800);
        assert_eq!(h.to_string(), "07:30-11:30,13:00-17:00");
        assert_eq!(WorkingHours::parse("07:30-11:30,13:00-17:00").unwrap(), h);
    }

    #[test]
    fn parse_working_hours_accepts() {
        type Expected = (&'static str, Vec<(NaiveTime, NaiveTime)>, i64);
        let rows: Vec<Expected> = vec![
            (
                " 07:30 - 11:30 ,\t13:00-17:00 ",
                vec![(t(7, 30), t(11, 30)), (t(13, 0), t(17, 0))],
                DAY,
            ),
            ("08:00-16:00", vec![(t(8, 0), t(16, 0))], DAY),
            (
                "8:00-12:00,12:00-16:00",
                vec![(t(8, 0), t(12, 0)), (t(12, 0), t(16, 0))],
                DAY,
            ),
            (
                "07:30:30-11:30",
                vec![(NaiveTime::from_hms_opt(7, 30, 30).unwrap(), t(11, 30))],
                4 * HOUR - 30,
            ),
        ];
        for (text, periods, seconds) in rows {
            let h = WorkingHours::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(h.periods(), periods.as_slice(), "{text}");
            assert_eq!(h.day_seconds(), seconds, "{text}");
            assert_eq!(WorkingHours::parse(&h.to_string()).unwrap(), h, "{text}");
        }
    }

    #[test]
    fn parse_working_hours_rejects_with_a_reason() {
        let rows = [
            ("", "empty"),
            ("   ", "empty"),
            ("07:30-11:30,", "empty"),
            (",07:30-11:30", "empty"),
            ("07:30", "START-END"),
            ("07:30-11:30-12:00", "START-END"),
            ("25:00-26:00", "bad time '25:00'"),
            ("07:30-noon", "bad time 'noon'"),
            ("07:30-23:59:60", "bad time"),
            ("17:00-13:00", "must start before it ends"),
            ("08:00-08:00", "must start before it ends"),
            ("13:00-17:00,07:30-11:30", "overlaps or comes before"),
            ("07:30-12:00,11:00-17:00", "overlaps or comes before"),
        ];
        for (text, expected) in rows {
            let err = WorkingHours::parse(text).expect_err(text);
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        assert!(WorkingHours::new(Vec::new()).unwrap_err().contains("empty"));
        let fraction = NaiveTime::from_hms_milli_opt(8, 0, 0, 500).unwrap();
        assert!(WorkingHours::new(vec![(fraction, t(9, 0))])
            .unwrap_err()
            .contains("whole seconds"));
    }

    #[test]
    fn day_status_and_working_days() {
        let c = cal();
        let rows = [
            (d(2026, 3, 2), DayStatus::Working),
            (d(2026, 3, 6), DayStatus::Working),
            (d(2026, 3, 7), DayStatus::Weekend),
            (d(2026, 3, 8), DayStatus::Weekend),
            (d(2026, 9, 2), DayStatus::Holiday("Quốc khánh".into())),
            (d(2026, 2, 14), DayStatus::Holiday("Tết Nguyên đán".into())),
            (
                d(2026, 1, 10),
                DayStatus::CompensatoryWorkingDay("Làm bù cho ngày 02/01".into()),
            ),
        ];
        for (date, status) in rows {
            let working = matches!(
                status,
                DayStatus::Working | DayStatus::CompensatoryWorkingDay(_)
            );
            assert_eq!(c.day_status(date), status, "{date}");
            assert_eq!(c.is_working_day(date), working, "{date}");
        }
        // A declared working day on a weekday changes nothing; the last duplicate wins.
        let c = WorkingCalendar::new(
            chrono_tz::Asia::Ho_Chi_Minh,
            WorkingHours::default(),
            vec![
                SpecialDay {
                    date: d(2026, 3, 4),
                    kind: DayKind::WorkingDay,
                    name: "no-op".into(),
                },
                holiday(d(2026, 3, 5), "first"),
                holiday(d(2026, 3, 5), "second"),
            ],
        );
        assert_eq!(c.day_status(d(2026, 3, 4)), DayStatus::Working);
        assert_eq!(
            c.day_status(d(2026, 3, 5)),
            DayStatus::Holiday("second".into())
        );
        assert_eq!(c.tz(), chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(c.hours(), &WorkingHours::default());
    }

    #[test]
    fn local_date_uses_the_calendar_zone() {
        let c = cal();
        // 2026-03-01 18:00 UTC is 2026-03-02 01:00 in Ho Chi Minh City.
        let instant = DateTime::parse_from_rfc3339("2026-03-01T18:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(c.local_date(instant), d(2026, 3, 2));
        assert_eq!(
            at("2026-03-02 15:00").to_rfc3339(),
            "2026-03-02T08:00:00+00:00"
        );
    }

    /// Checks a text table whose rows read
    /// `start | amount | unit | due | effective start  # comment`, times local to the calendar.
    fn check_table(c: &WorkingCalendar, table: &str) {
        let mut rows = 0;
        for line in table.lines() {
            let line = line.split('#').next().unwrap().trim();
            if line.is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [start, amount, unit, due, effective] = cells[..] else {
                panic!("bad table row: {line}");
            };
            let amount: u32 = amount.parse().unwrap();
            let unit = TimeUnit::parse(unit).unwrap_or_else(|| panic!("bad unit in {line}"));
            let deadline = c.deadline(at_in(c, start), amount, unit);
            assert_eq!(
                show_in(c, deadline.due_at),
                show_in(c, at_in(c, due)),
                "due: {line}"
            );
            assert_eq!(
                show_in(c, deadline.effective_start),
                show_in(c, at_in(c, effective)),
                "effective start: {line}"
            );
            assert_eq!(deadline.start, at_in(c, start));
            let expected_seconds = match unit {
                TimeUnit::WorkingDays => i64::from(amount) * c.hours().day_seconds(),
                TimeUnit::WorkingHours => i64::from(amount) * HOUR,
                TimeUnit::CalendarDays => 0,
            };
            assert_eq!(deadline.working_seconds, expected_seconds, "{line}");
            if unit != TimeUnit::CalendarDays {
                assert_eq!(
                    c.working_seconds_between(deadline.start, deadline.due_at),
                    expected_seconds,
                    "inverse: {line}"
                );
                assert_eq!(
                    c.add_working_seconds(deadline.start, expected_seconds),
                    deadline.due_at,
                    "add: {line}"
                );
            }
            rows += 1;
        }
        assert!(rows > 0);
    }

    #[test]
    fn deadlines_default_hours() {
        check_table(
            &cal(),
            "
            # start          | n  | unit          | due              | effective start
            # DOMAIN.md §7 examples
            2026-03-02 15:00 | 1  | working_days  | 2026-03-03 15:00 | 2026-03-02 15:00  # Monday 15:00
            2026-03-07 10:00 | 1  | working_days  | 2026-03-09 17:00 | 2026-03-09 07:30  # Saturday 10:00
            # lunch break counts from 13:00; running out exactly at 11:30 stays at 11:30
            2026-03-02 12:00 | 1  | working_days  | 2026-03-03 11:30 | 2026-03-02 13:00
            2026-03-02 13:00 | 1  | working_days  | 2026-03-03 11:30 | 2026-03-02 13:00
            # before 07:30, at 07:30, after 17:00, exactly at 11:30 and at 17:00
            2026-03-02 06:00 | 1  | working_days  | 2026-03-02 17:00 | 2026-03-02 07:30
            2026-03-02 07:30 | 1  | working_days  | 2026-03-02 17:00 | 2026-03-02 07:30
            2026-03-02 18:00 | 1  | working_days  | 2026-03-03 17:00 | 2026-03-03 07:30
            2026-03-02 11:30 | 1  | working_days  | 2026-03-03 11:30 | 2026-03-02 13:00
            2026-03-02 17:00 | 1  | working_days  | 2026-03-03 17:00 | 2026-03-03 07:30
            2026-03-02 16:59 | 1  | working_days  | 2026-03-03 16:59 | 2026-03-02 16:59
            # Friday afternoon over a weekend; Friday evening; Sunday night
            2026-03-06 15:00 | 1  | working_days  | 2026-03-09 15:00 | 2026-03-06 15:00
            2026-03-06 17:30 | 1  | working_days  | 2026-03-09 17:00 | 2026-03-09 07:30
            2026-03-08 23:59 | 1  | working_days  | 2026-03-09 17:00 | 2026-03-09 07:30
            # several days
            2026-03-02 07:30 | 5  | working_days  | 2026-03-06 17:00 | 2026-03-02 07:30
            2026-03-02 10:00 | 10 | working_days  | 2026-03-16 10:00 | 2026-03-02 10:00
            # a holiday in the middle: Wednesday 2 September
            2026-09-01 10:00 | 2  | working_days  | 2026-09-04 10:00 | 2026-09-01 10:00
            2026-09-01 17:00 | 1  | working_days  | 2026-09-03 17:00 | 2026-09-03 07:30
            # Tết 2026: 14-22 February
            2026-02-13 15:00 | 1  | working_days  | 2026-02-23 15:00 | 2026-02-13 15:00
            2026-02-09 08:00 | 5  | working_days  | 2026-02-23 08:00 | 2026-02-09 08:00
            2026-02-16 09:00 | 1  | working_days  | 2026-02-23 17:00 | 2026-02-23 07:30  # during Tết
            # compensatory working Saturday 10 January 2026, counted
            2026-01-09 15:00 | 1  | working_days  | 2026-01-10 15:00 | 2026-01-09 15:00
            2026-01-09 15:00 | 2  | working_days  | 2026-01-12 15:00 | 2026-01-09 15:00
            # holiday on the Monday right after a weekend (27 April)
            2026-04-24 15:00 | 1  | working_days  | 2026-04-28 15:00 | 2026-04-24 15:00
            # 30 April and 1 May, then the weekend
            2026-04-29 15:00 | 2  | working_days  | 2026-05-05 15:00 | 2026-04-29 15:00
            # year boundaries: 1 January 2027 (a Friday); 1-2 January 2026
            2026-12-31 10:00 | 1  | working_days  | 2027-01-04 10:00 | 2026-12-31 10:00
            2025-12-31 16:00 | 1  | working_days  | 2026-01-05 16:00 | 2025-12-31 16:00
            # working hours
            2026-03-02 15:00 | 8  | working_hours | 2026-03-03 15:00 | 2026-03-02 15:00
            2026-03-02 11:00 | 1  | working_hours | 2026-03-02 13:30 | 2026-03-02 11:00
            2026-03-02 10:30 | 1  | working_hours | 2026-03-02 11:30 | 2026-03-02 10:30
            2026-03-02 16:30 | 1  | working_hours | 2026-03-03 08:00 | 2026-03-02 16:30
            2026-03-06 16:00 | 2  | working_hours | 2026-03-09 08:30 | 2026-03-06 16:00
            2026-03-02 12:15 | 4  | working_hours | 2026-03-02 17:00 | 2026-03-02 13:00
            2026-02-13 16:00 | 8  | working_hours | 2026-02-23 16:00 | 2026-02-13 16:00
            # calendar days: plain calendar time, not moved by weekends or holidays
            2026-03-06 10:00 | 3  | calendar_days | 2026-03-09 10:00 | 2026-03-06 10:00
            2026-02-13 10:00 | 3  | calendar_days | 2026-02-16 10:00 | 2026-02-13 10:00  # lands in Tết
            2026-03-07 22:00 | 1  | calendar_days | 2026-03-08 22:00 | 2026-03-07 22:00
            2026-12-31 20:00 | 1  | calendar_days | 2027-01-01 20:00 | 2026-12-31 20:00
            2026-03-02 15:00 | 30 | calendar_days | 2026-04-01 15:00 | 2026-03-02 15:00
            # zero: due at once, whatever the unit
            2026-03-07 10:00 | 0  | working_days  | 2026-03-07 10:00 | 2026-03-07 10:00
            2026-03-02 12:00 | 0  | working_hours | 2026-03-02 12:00 | 2026-03-02 12:00
            2026-03-07 10:00 | 0  | calendar_days | 2026-03-07 10:00 | 2026-03-07 10:00
            ",
        );
    }

    #[test]
    fn deadlines_custom_hours() {
        let single = cal_with("08:00-16:00");
        assert_eq!(single.hours().day_seconds(), DAY);
        check_table(
            &single,
            "
            # start          | n | unit          | due              | effective start
            2026-03-02 15:00 | 1 | working_days  | 2026-03-03 15:00 | 2026-03-02 15:00
            2026-03-02 12:00 | 1 | working_days  | 2026-03-03 12:00 | 2026-03-02 12:00  # no lunch break
            2026-03-02 07:00 | 1 | working_days  | 2026-03-02 16:00 | 2026-03-02 08:00
            2026-03-07 10:00 | 1 | working_days  | 2026-03-09 16:00 | 2026-03-09 08:00
            2026-03-02 15:30 | 1 | working_hours | 2026-03-03 08:30 | 2026-03-02 15:30
            2026-03-02 16:00 | 1 | working_hours | 2026-03-03 09:00 | 2026-03-03 08:00
            ",
        );
        // A shorter day (6 h): one working day is 6 h of working time.
        let short = cal_with("08:00-11:00,14:00-17:00");
        assert_eq!(short.hours().day_seconds(), 6 * HOUR);
        check_table(
            &short,
            "
            2026-03-02 10:00 | 1 | working_days  | 2026-03-03 10:00 | 2026-03-02 10:00
            2026-03-02 12:00 | 1 | working_days  | 2026-03-03 11:00 | 2026-03-02 14:00
            2026-03-02 10:00 | 8 | working_hours | 2026-03-03 15:00 | 2026-03-02 10:00
            ",
        );
    }

    fn weekend(date: NaiveDate) -> SkippedDay {
        SkippedDay {
            date,
            reason: if date.weekday() == Weekday::Sat {
                SkipReason::Saturday
            } else {
                SkipReason::Sunday
            },
            name: None,
        }
    }

    fn skipped_holiday(date: NaiveDate, name: &str) -> SkippedDay {
        SkippedDay {
            date,
            reason: SkipReason::Holiday,
            name: Some(name.into()),
        }
    }

    /// Renders skipped days as `date reason[ name]`, comma-separated.
    fn show_skipped(skipped: &[SkippedDay]) -> String {
        skipped
            .iter()
            .map(|s| match &s.name {
                Some(name) => format!("{} {} {name}", s.date, s.reason.as_str()),
                None => format!("{} {}", s.date, s.reason.as_str()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    #[test]
    fn skipped_and_compensatory_days_explain_the_deadline() {
        let c = cal();
        // Exact structures for two cases.
        let friday = c.deadline(at("2026-03-06 15:00"), 1, TimeUnit::WorkingDays);
        assert_eq!(
            friday.skipped,
            vec![weekend(d(2026, 3, 7)), weekend(d(2026, 3, 8))]
        );
        assert_eq!(friday.skipped[0].reason, SkipReason::Saturday);
        assert_eq!(friday.skipped[1].reason, SkipReason::Sunday);
        assert!(friday.compensatory.is_empty());
        let tet: Vec<SkippedDay> = (14..=22)
            .map(|day| skipped_holiday(d(2026, 2, day), "Tết Nguyên đán"))
            .collect();
        assert_eq!(
            c.deadline(at("2026-02-13 15:00"), 1, TimeUnit::WorkingDays)
                .skipped,
            tet
        );
        assert_eq!(
            c.deadline(at("2026-02-13 16:00"), 8, TimeUnit::WorkingHours)
                .skipped,
            tet
        );
        assert_eq!(
            c.deadline(at("2026-01-09 15:00"), 1, TimeUnit::WorkingDays)
                .compensatory,
            vec![(d(2026, 1, 10), "Làm bù cho ngày 02/01".to_string())]
        );

        // start | n | unit | skipped | compensatory
        let table = "
            2026-03-02 15:00 | 1 | working_days  | |
            2026-03-06 15:00 | 1 | working_days  | 2026-03-07 saturday, 2026-03-08 sunday |
            2026-03-07 10:00 | 1 | working_days  | 2026-03-07 saturday, 2026-03-08 sunday |  # starts on the weekend
            2026-09-01 10:00 | 2 | working_days  | 2026-09-02 holiday Quốc khánh |
            2026-04-24 15:00 | 1 | working_days  | 2026-04-25 saturday, 2026-04-26 sunday, 2026-04-27 holiday Giỗ Tổ Hùng Vương (nghỉ bù) |
            2026-12-31 10:00 | 1 | working_days  | 2027-01-01 holiday Tết Dương lịch, 2027-01-02 saturday, 2027-01-03 sunday |
            2025-12-31 16:00 | 1 | working_days  | 2026-01-01 holiday Tết Dương lịch, 2026-01-02 holiday Nghỉ bù Tết Dương lịch, 2026-01-03 saturday, 2026-01-04 sunday |
            2026-01-09 15:00 | 1 | working_days  | | 2026-01-10 Làm bù cho ngày 02/01
            2026-01-09 15:00 | 2 | working_days  | 2026-01-11 sunday | 2026-01-10 Làm bù cho ngày 02/01
            2026-01-10 09:00 | 1 | working_hours | | 2026-01-10 Làm bù cho ngày 02/01  # starts on it
            2026-01-09 10:00 | 4 | working_hours | |                                   # not reached
            2026-01-10 17:00 | 1 | working_hours | 2026-01-11 sunday |                 # started after it
            2026-03-06 10:00 | 3 | calendar_days | |                                   # calendar days explain nothing
            2026-03-07 10:00 | 0 | working_days  | |                                   # nor does a zero amount
        ";
        for line in table.lines() {
            let line = line.split('#').next().unwrap().trim();
            if line.is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [start, amount, unit, skipped, compensatory] = cells[..] else {
                panic!("bad table row: {line}");
            };
            let unit = TimeUnit::parse(unit).unwrap();
            let deadline = c.deadline(at(start), amount.parse().unwrap(), unit);
            assert_eq!(show_skipped(&deadline.skipped), skipped, "skipped: {line}");
            let shown = deadline
                .compensatory
                .iter()
                .map(|(date, name)| format!("{date} {name}"))
                .collect::<Vec<_>>()
                .join(", ");
            assert_eq!(shown, compensatory, "compensatory: {line}");
        }
    }

    #[test]
    fn working_seconds_between_table() {
        let c = cal();
        let rows = [
            ("2026-03-02 08:00", "2026-03-02 10:00", 2 * HOUR),
            ("2026-03-02 10:00", "2026-03-02 14:00", 2 * HOUR + HOUR / 2),
            ("2026-03-02 12:00", "2026-03-02 12:30", 0),
            ("2026-03-02 11:30", "2026-03-02 13:00", 0),
            ("2026-03-02 06:00", "2026-03-02 18:00", DAY),
            ("2026-03-02 06:00", "2026-03-02 07:30", 0),
            ("2026-03-02 17:00", "2026-03-03 07:30", 0),
            ("2026-03-01 20:00", "2026-03-03 06:00", DAY),
            ("2026-03-06 15:00", "2026-03-09 09:00", 3 * HOUR + HOUR / 2),
            ("2026-03-07 10:00", "2026-03-08 10:00", 0),
            ("2026-09-01 15:00", "2026-09-03 09:00", 3 * HOUR + HOUR / 2),
            ("2026-02-13 15:00", "2026-02-23 15:00", DAY),
            ("2026-01-09 15:00", "2026-01-12 15:00", 2 * DAY),
            ("2026-03-02 07:30", "2026-03-09 07:30", 5 * DAY),
            ("2026-03-02 15:00", "2026-03-02 15:00", 0),
            // Reversed: zero.
            ("2026-03-03 15:00", "2026-03-02 15:00", 0),
            ("2027-01-01 00:00", "2026-01-01 00:00", 0),
            // The whole of 2026: 261 weekdays, 11 weekday holidays, 1 worked Saturday.
            ("2026-01-01 00:00", "2027-01-01 00:00", 251 * DAY),
        ];
        for (from, to, expected) in rows {
            assert_eq!(
                c.working_seconds_between(at(from), at(to)),
                expected,
                "{from} → {to}"
            );
        }
        let brute = (0..365)
            .map(|i| d(2026, 1, 1) + TimeDelta::days(i))
            .filter(|date| c.is_working_day(*date))
            .count();
        assert_eq!(brute, 251);
    }

    #[test]
    fn sub_second_instants_are_kept_and_truncated() {
        let c = cal();
        let start = at("2026-03-02 10:00") + TimeDelta::milliseconds(500);
        let due = c.add_working_seconds(start, 2 * HOUR);
        assert_eq!(due, at("2026-03-02 13:30") + TimeDelta::milliseconds(500));
        assert_eq!(c.working_seconds_between(start, due), 2 * HOUR);
        assert_eq!(
            c.working_seconds_between(start, due - TimeDelta::milliseconds(1)),
            2 * HOUR - 1
        );
        // A fractional start in the lunch break still counts from 13:00 sharp.
        let lunch = at("2026-03-02 12:00") + TimeDelta::milliseconds(250);
        assert_eq!(c.add_working_seconds(lunch, HOUR), at("2026-03-02 14:00"));
    }

    #[test]
    fn zero_and_negative_seconds_return_the_start() {
        let c = cal();
        let start = at("2026-03-07 10:00");
        assert_eq!(c.add_working_seconds(start, 0), start);
        assert_eq!(c.add_working_seconds(start, -5), start);
        assert_eq!(c.add_working_seconds(start, 1), at("2026-03-09 07:30:01"));
    }

    #[test]
    fn long_and_absurd_amounts_terminate_and_saturate() {
        let c = cal();
        let start = at("2026-03-02 10:00");
        // 1000 working days against a plain day-by-day walk.
        let deadline = c.deadline(start, 1000, TimeUnit::WorkingDays);
        assert_eq!(
            deadline.due_at,
            reference_add(&c, start, 1000 * DAY),
            "1000 working days"
        );
        assert_eq!(
            c.working_seconds_between(start, deadline.due_at),
            1000 * DAY
        );
        assert!(deadline.skipped.len() > 400 && deadline.skipped.len() < 500);

        let max = DateTime::<Utc>::MAX_UTC;
        assert_eq!(c.add_working_seconds(start, i64::MAX), max);
        assert_eq!(c.add_working_seconds(start, i64::MAX / 1000), max);
        assert_eq!(
            c.deadline(start, u32::MAX, TimeUnit::CalendarDays).due_at,
            max
        );
        let huge = c.deadline(start, u32::MAX, TimeUnit::WorkingDays);
        assert_eq!(huge.due_at, max);
        assert!(huge.skipped.len() < 11_000, "explanation is capped");
        let near_end = max - TimeDelta::hours(1);
        assert_eq!(c.add_working_seconds(near_end, DAY), max);
        assert_eq!(c.local_date(max), NaiveDateTime::MAX.date());
        // Far from any special day, big amounts stay exact.
        let old = at("1900-01-01 07:30");
        let due = c.add_working_seconds(old, 3_000_000 * DAY);
        assert_eq!(c.working_seconds_between(old, due), 3_000_000 * DAY);
        let min = DateTime::<Utc>::MIN_UTC;
        assert_eq!(c.working_seconds_between(max, min), 0);
        assert!(c.working_seconds_between(min, max) > 0);
    }

    #[test]
    fn daylight_saving_zone_counts_local_wall_clock() {
        let c = WorkingCalendar::new(chrono_tz::Europe::Berlin, WorkingHours::default(), []);
        // Summer time starts on Sunday 29 March 2026: Friday is UTC+1, Monday UTC+2.
        let start = at_in(&c, "2026-03-27 15:00");
        let due = c.add_working_seconds(start, DAY);
        assert_eq!(show_in(&c, due), "2026-03-30 15:00 Mon");
        assert_eq!(due - start, TimeDelta::hours(71));
        assert_eq!(c.working_seconds_between(start, due), DAY);
        assert_eq!(
            c.deadline(start, 3, TimeUnit::CalendarDays).due_at,
            at_in(&c, "2026-03-30 15:00")
        );
        // A calendar-day deadline landing in the gap is moved forward by the gap.
        let night = at_in(&c, "2026-03-28 02:30");
        assert_eq!(
            c.deadline(night, 1, TimeUnit::CalendarDays)
                .due_at
                .to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        // An ambiguous local time (end of summer time) takes the earlier instant.
        let autumn = at_in(&c, "2026-10-24 02:30");
        assert_eq!(
            c.deadline(autumn, 1, TimeUnit::CalendarDays)
                .due_at
                .to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
    }

    /// Plain day-by-day walk, without whole-week jumps, for cross-checking.
    fn reference_add(c: &WorkingCalendar, start: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
        if seconds <= 0 {
            return start;
        }
        let local = start.with_timezone(&c.tz()).naive_local();
        let mut remaining = TimeDelta::seconds(seconds);
        let mut date = local.date();
        let mut floor = local.time();
        loop {
            if c.is_working_day(date) {
                for &(s, e) in c.hours().periods() {
                    let begin = floor.max(s);
                    if begin < e {
                        if remaining <= e - begin {
                            let due = date.and_time(begin) + remaining;
                            return c.tz().from_local_datetime(&due).unwrap().to_utc();
                        }
                        remaining -= e - begin;
                    }
                }
            }
            date = date.succ_opt().unwrap();
            floor = NaiveTime::MIN;
        }
    }

    /// Plain day-by-day sum of working time in `[from, to)`.
    fn reference_between(c: &WorkingCalendar, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let a = from.with_timezone(&c.tz()).naive_local();
        let b = to.with_timezone(&c.tz()).naive_local();
        let mut total = TimeDelta::zero();
        let mut date = a.date();
        while date <= b.date() {
            if c.is_working_day(date) {
                for &(s, e) in c.hours().periods() {
                    let begin = date.and_time(s).max(a);
                    let end = date.and_time(e).min(b);
                    if end > begin {
                        total += end - begin;
                    }
                }
            }
            date = date.succ_opt().unwrap();
        }
        total.num_seconds()
    }

    fn epoch_2026() -> i64 {
        at("2026-01-01 00:00").timestamp()
    }

    /// Any instant (second precision) in 2026–2027.
    fn instant_2026_2027() -> impl Strategy<Value = DateTime<Utc>> {
        (0..730 * 86_400i64)
            .prop_map(|offset| DateTime::from_timestamp(epoch_2026() + offset, 0).unwrap())
    }

    /// An instant inside working time in 2026–2027 (a working instant: not a period's end).
    fn working_instant() -> impl Strategy<Value = DateTime<Utc>> {
        instant_2026_2027()
            .prop_map(|t| cal().deadline(t, 1, TimeUnit::WorkingHours).effective_start)
    }

    fn is_inside_working_time(c: &WorkingCalendar, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&c.tz()).naive_local();
        c.is_working_day(local.date())
            && c.hours()
                .periods()
                .iter()
                .any(|&(s, e)| s <= local.time() && local.time() < e)
    }

    fn is_period_end(c: &WorkingCalendar, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&c.tz()).naive_local();
        c.is_working_day(local.date())
            && c.hours().periods().iter().any(|&(_, e)| e == local.time())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn between_inverts_add_from_working_instants(
            start in working_instant(),
            seconds in 0..=60 * DAY,
        ) {
            let c = cal();
            prop_assert!(is_inside_working_time(&c, start));
            let due = c.add_working_seconds(start, seconds);
            prop_assert_eq!(c.working_seconds_between(start, due), seconds);
        }

        #[test]
        fn between_inverts_add_from_any_instant(
            start in instant_2026_2027(),
            seconds in 0..=60 * DAY,
        ) {
            let c = cal();
            let due = c.add_working_seconds(start, seconds);
            prop_assert_eq!(c.working_seconds_between(start, due), seconds);
            let custom = cal_with("08:00-12:00,12:00-12:45,14:10:30-18:00");
            let due = custom.add_working_seconds(start, seconds);
            prop_assert_eq!(custom.working_seconds_between(start, due), seconds);
        }

        #[test]
        fn add_is_monotonic(
            start in instant_2026_2027(),
            a in 0..=60 * DAY,
            b in 0..=60 * DAY,
        ) {
            let c = cal();
            let (low, high) = (a.min(b), a.max(b));
            let (due_low, due_high) =
                (c.add_working_seconds(start, low), c.add_working_seconds(start, high));
            prop_assert!(start <= due_low);
            prop_assert!(due_low <= due_high);
            if low < high {
                prop_assert!(due_low < due_high);
            }
        }

        #[test]
        fn due_lies_in_working_time_or_at_a_period_end(
            start in instant_2026_2027(),
            seconds in 1..=60 * DAY,
        ) {
            let c = cal();
            let due = c.add_working_seconds(start, seconds);
            prop_assert!(
                is_inside_working_time(&c, due) || is_period_end(&c, due),
                "due {} is not working time", show_in(&c, due)
            );
            let deadline = c.deadline(start, 1, TimeUnit::WorkingHours);
            prop_assert!(is_inside_working_time(&c, deadline.effective_start));
            prop_assert!(deadline.effective_start >= start);
            prop_assert_eq!(c.working_seconds_between(start, deadline.effective_start), 0);
        }

        #[test]
        fn between_is_additive(
            a in instant_2026_2027(),
            b in instant_2026_2027(),
            m in instant_2026_2027(),
        ) {
            let c = cal();
            let mut points = [a, b, m];
            points.sort();
            let [x, y, z] = points;
            prop_assert_eq!(
                c.working_seconds_between(x, y) + c.working_seconds_between(y, z),
                c.working_seconds_between(x, z)
            );
            prop_assert_eq!(c.working_seconds_between(z, x), 0);
        }

        #[test]
        fn matches_a_plain_day_by_day_walk(
            offset in -2 * 366 * 86_400i64..3 * 366 * 86_400,
            seconds in 0..=1000 * DAY,
        ) {
            let c = cal();
            let start = DateTime::from_timestamp(epoch_2026() + offset, 0).unwrap();
            let due = c.add_working_seconds(start, seconds);
            prop_assert_eq!(due, reference_add(&c, start, seconds));
            prop_assert_eq!(
                c.working_seconds_between(start, due),
                reference_between(&c, start, due)
            );
        }

        #[test]
        fn deadline_agrees_with_add(
            start in instant_2026_2027(),
            amount in 0u32..=60,
        ) {
            let c = cal();
            let days = c.deadline(start, amount, TimeUnit::WorkingDays);
            prop_assert_eq!(days.due_at, c.add_working_seconds(start, i64::from(amount) * DAY));
            let hours = c.deadline(start, amount, TimeUnit::WorkingHours);
            prop_assert_eq!(hours.due_at, c.add_working_seconds(start, i64::from(amount) * HOUR));
            // Every day from the start's date to the due date is either skipped or working.
            if amount > 0 {
                let first = c.local_date(start);
                let last = c.local_date(days.due_at);
                let non_working = (0..=(last - first).num_days())
                    .map(|i| first + TimeDelta::days(i))
                    .filter(|date| !c.is_working_day(*date))
                    .collect::<Vec<_>>();
                let listed = days.skipped.iter().map(|s| s.date).collect::<Vec<_>>();
                prop_assert_eq!(listed, non_working);
            }
        }

        #[test]
        fn any_input_terminates_without_panicking(
            start in -8_000_000_000_000i64..8_000_000_000_000,
            seconds in any::<i64>(),
            amount in any::<u32>(),
        ) {
            let c = cal();
            let start = DateTime::from_timestamp(start, 0).unwrap();
            let due = c.add_working_seconds(start, seconds);
            prop_assert!(due >= start);
            if due != DateTime::<Utc>::MAX_UTC && seconds > 0 {
                prop_assert_eq!(c.working_seconds_between(start, due), seconds);
            }
            let hours = c.deadline(start, amount, TimeUnit::WorkingHours);
            prop_assert!(hours.due_at >= start);
            let calendar = c.deadline(start, amount, TimeUnit::CalendarDays);
            prop_assert!(calendar.due_at >= start);
            let _ = c.local_date(start);
        }
    }
}
