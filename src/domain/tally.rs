//! How one dossier counts in the reports (DOMAIN.md §7 and §10), and how the report's columns
//! come back out of the counts.
//!
//! A dossier's [`Tally`] says on which local day each thing that reports count happened to it:
//! submitted, received, refused, finished (early, on time or late), became overdue, rated, and so
//! on. [`entries`] turns a tally into per-unit, per-procedure, per-day [`Metrics`]; every change to
//! a dossier retracts its old tally's entries and adds its new one's ([`deltas`]), so the stored
//! buckets always equal the sum over all dossiers of their current tallies. Each entry counts in
//! three buckets: its day, its month and the all-time total ([`TOTAL`]), and in the buckets of
//! all procedures together also in its pentad ([`pentad_key`]), its decade ([`decade_key`]) and
//! its year ([`year_key`]), so that any period is a few year, month, decade, pentad and day rows
//! ([`ranges`]).
//!
//! Figures of a period's end (carried over, open in time or overdue, awaiting reception) are
//! *levels*: the sum of every start minus every end up to that day. A report reads them with the
//! period's own buckets ([`plan`]): from the days before the period, or from the all-time total
//! less what happened after it, whichever costs least.
//!
//! # Choices made where DOMAIN.md is silent
//!
//! - **Which unit.** The periodic report's block (carried over, received, finished, open, and the
//!   digitization, payment, rating and discount counts) counts at the dossier's *processing* unit,
//!   so that every row keeps the identity carried over + received = finished + open. What happens
//!   at the desk counts at the *receiving* unit: received there by channel (`intake_online`,
//!   `intake_desk`), awaiting reception, refused at reception.
//! - **Awaiting reception** is an online dossier not yet received nor finished, including one
//!   sent back for a supplement before receipt; it is flagged from its 8-working-hour limit on.
//! - **Overdue at a period's end** uses the dossier's `overdue_at` ([`super::workflow::overdue_from`]):
//!   a dossier open at the end of day `d` is overdue when it became overdue on or before `d`. A
//!   period that has not ended yet is judged at the present moment instead, by the caller.
//! - **The days of the other counts:** reuse, fees (non-zero fee, paid online, discount granted) on
//!   the day of receipt; digitized with an electronic result and processing time on the day it
//!   finished; electronic results on the day the first one was issued; ratings on the day given.
//!   Only received dossiers count in them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::indicators::Counts;
use super::lifecycle::{Channel, Status};
use super::rating::Satisfaction;
use super::timeliness::{self, Timeliness};
use crate::id::Id;

/// The period key of the all-time total bucket.
pub const TOTAL: i32 = 0;

/// The period key of a day: `yyyymmdd`.
pub fn day_key(day: NaiveDate) -> i32 {
    day.year() * 10_000 + day.month() as i32 * 100 + day.day() as i32
}

/// The period key of a month: `yyyymm`.
pub fn month_key(day: NaiveDate) -> i32 {
    day.year() * 100 + day.month() as i32
}

/// The period key of a day's decade (days 1–10, 11–20, 21 to the month's end): `yyyymmd`,
/// with `d` from 1 to 3. Only the buckets of all procedures together have decades: the unit
/// reports, which read every unit at once, sum a decade instead of its ten days.
pub fn decade_key(day: NaiveDate) -> i32 {
    month_key(day) * 10 + ((day.day() as i32 - 1) / 10).min(2) + 1
}

/// The period key of a day's pentad (days 1–5, 6–10, 11–15, 16–20, 21–25, 26 to the month's
/// end): its first day's key times ten, `yyyymmdd0`, above every day key. Like decades, only
/// the buckets of all procedures together have pentads: a period's end from mid-month is then
/// a day, a pentad and a decade (the 15th to the month's end), not a month less a decade and
/// four days.
pub fn pentad_key(day: NaiveDate) -> i32 {
    let first = ((day.day() as i32 - 1) / 5).min(5) * 5 + 1;
    (month_key(day) * 100 + first) * 10
}

/// The period key of a day's year: `yyyy`. Like decades, only the buckets of all procedures
/// together have years: a year of every unit is then one row per unit, not twelve.
pub fn year_key(day: NaiveDate) -> i32 {
    day.year()
}

/// The last year key: the keys of months start above it.
const LAST_YEAR: i32 = 9_999;

/// The last month key: the keys of decades, days and pentads start above it.
const LAST_MONTH: i32 = 999_912;

/// The last decade key: the keys of days and pentads start above it.
const LAST_DECADE: i32 = 9_999_123;

/// The last day key: the keys of pentads start above it.
const LAST_DAY: i32 = 99_991_231;

/// The day of a day key.
pub fn key_day(key: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(key / 10_000, (key / 100 % 100) as u32, (key % 100) as u32)
}

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("the first of a month exists")
}

fn month_end(day: NaiveDate) -> NaiveDate {
    let next = day
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX);
    month_start(next).pred_opt().unwrap_or(NaiveDate::MAX)
}

/// The buckets of the period keys `low..=high`, added to a sum (`sign` 1) or taken from it
/// (`sign` −1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub sign: i64,
    pub low: i32,
    pub high: i32,
}

impl Span {
    pub fn add(low: i32, high: i32) -> Span {
        Span { sign: 1, low, high }
    }

    pub fn less(low: i32, high: i32) -> Span {
        Span {
            sign: -1,
            low,
            high,
        }
    }

    /// The same keys, with the opposite sign.
    pub fn negated(self) -> Span {
        Span {
            sign: -self.sign,
            ..self
        }
    }

    /// Whether `key` is one of the span's period keys.
    pub fn holds(&self, key: i32) -> bool {
        (self.low..=self.high).contains(&key)
    }
}

/// Spans of period keys whose buckets together sum to exactly the days `from..=to`
/// (`coarse`: whether the buckets read have pentads, decades and years, as those of all
/// procedures together do). Within one month, as [`ragged`] reads it. Otherwise each ragged end
/// either joins the whole months, less its days outside the period, or stands apart as its
/// days; of the (up to four) ways, the one that reads the fewest buckets, its months read as
/// [`months`] reads them. No two spans share a key.
fn ranges(from: NaiveDate, to: NaiveDate, coarse: bool) -> Vec<Span> {
    if from > to {
        return Vec::new();
    }
    if month_start(from) == month_start(to) {
        return ragged(from, to, coarse);
    }
    let less = |spans: Vec<Span>| -> Vec<Span> { spans.into_iter().map(Span::negated).collect() };
    // (the first whole month's key, the spans of the days around it)
    let mut heads = vec![(month_key(from), Vec::new())];
    if from != month_start(from) {
        let before = from.pred_opt().unwrap_or(from);
        heads[0].1 = less(plain(month_start(from), before, coarse));
        heads.push((
            next_month(month_key(from)),
            plain(from, month_end(from), coarse),
        ));
    }
    let mut tails = vec![(month_key(to), Vec::new())];
    if to != month_end(to) {
        let after = to.succ_opt().unwrap_or(to);
        tails[0].1 = less(plain(after, month_end(to), coarse));
        tails.push((
            previous_month(month_key(to)),
            plain(month_start(to), to, coarse),
        ));
    }
    let mut best: Option<Vec<Span>> = None;
    for (first, head) in &heads {
        for (last, tail) in &tails {
            let mut spans = Vec::new();
            if first <= last {
                spans.extend(months(*first, *last, coarse));
            }
            spans.extend(head.iter().chain(tail).copied());
            let fewer =
                |b: &Vec<Span>| buckets_read(&spans, LAST_MONTH) < buckets_read(b, LAST_MONTH);
            if best.as_ref().is_none_or(fewer) {
                best = Some(spans);
            }
        }
    }
    best.unwrap_or_default()
}

/// The month key after `key`'s.
fn next_month(key: i32) -> i32 {
    if key % 100 == 12 {
        (key / 100 + 1) * 100 + 1
    } else {
        key + 1
    }
}

/// The month key before `key`'s.
fn previous_month(key: i32) -> i32 {
    if key % 100 == 1 {
        (key / 100 - 1) * 100 + 12
    } else {
        key - 1
    }
}

/// The months `first..=last` (month keys): one month span, or with `years` each year's
/// months as whichever has fewer buckets, the months themselves or the year less its months
/// outside them (a year's bucket holds exactly what its months' buckets hold); whole years
/// are year keys. The last 365 days read as this year less its last month and last year's
/// last month: 3 buckets, not 12.
fn months(first: i32, last: i32, years: bool) -> Vec<Span> {
    if !years {
        return vec![Span::add(first, last)];
    }
    let mut out: Vec<Span> = Vec::new();
    for year in first / 100..=last / 100 {
        let (low, high) = (first.max(year * 100 + 1), last.min(year * 100 + 12));
        let spans = if (low, high) == (year * 100 + 1, year * 100 + 12) {
            vec![Span::add(year, year)]
        } else if 1 + 12 - (high - low + 1) < high - low + 1 {
            let outside = [(year * 100 + 1, low - 1), (high + 1, year * 100 + 12)];
            std::iter::once(Span::add(year, year))
                .chain(
                    outside
                        .into_iter()
                        .filter(|(a, b)| a <= b)
                        .map(|(a, b)| Span::less(a, b)),
                )
                .collect()
        } else {
            vec![Span::add(low, high)]
        };
        for span in spans {
            match out.last_mut() {
                // Whole years one after another: one span.
                Some(prev)
                    if prev.sign == 1
                        && span.sign == 1
                        && prev.high <= LAST_YEAR
                        && span.low == prev.high + 1 =>
                {
                    prev.high = span.high
                }
                _ => out.push(span),
            }
        }
    }
    out
}

/// The days `from..=to` of one month, as whichever has fewer buckets: its [`plain`] cover, or
/// the month less the plain covers of its days outside them (a month's bucket holds exactly
/// what its days' buckets hold). The last 365 days from the 2nd of a month read the month less
/// its 1st, not 30 days; a whole month is its month.
fn ragged(from: NaiveDate, to: NaiveDate, coarse: bool) -> Vec<Span> {
    let (start, end) = (month_start(from), month_end(from));
    let direct = plain(from, to, coarse);
    let mut complement = vec![Span::add(month_key(from), month_key(from))];
    let outside = [
        from.pred_opt().filter(|_| from > start).map(|d| (start, d)),
        to.succ_opt().filter(|_| to < end).map(|d| (d, end)),
    ];
    for (a, b) in outside.into_iter().flatten() {
        complement.extend(plain(a, b, coarse).into_iter().map(Span::negated));
    }
    if buckets_read(&complement, LAST_MONTH) < buckets_read(&direct, LAST_MONTH) {
        complement
    } else {
        direct
    }
}

/// The days `from..=to` of one month as day spans, or with `coarse` as its whole decades, its
/// whole pentads outside them and the days left, adjacent spans of one kind merged. (Every
/// decade is two pentads, so that this is the fewest buckets that hold exactly these days.)
fn plain(from: NaiveDate, to: NaiveDate, coarse: bool) -> Vec<Span> {
    if !coarse {
        return vec![Span::add(day_key(from), day_key(to))];
    }
    let mut covers: Vec<Span> = Vec::new();
    for decade in 0..3 {
        let first = month_start(from) + chrono::Days::new(10 * decade);
        let last = match decade {
            2 => month_end(from),
            _ => first + chrono::Days::new(9),
        };
        if (first.max(from), last.min(to)) == (first, last) {
            covers.push(Span::add(decade_key(first), decade_key(first)));
            continue;
        }
        let middle = first + chrono::Days::new(5);
        for (start, end) in [(first, middle.pred_opt().unwrap_or(first)), (middle, last)] {
            let (a, b) = (start.max(from), end.min(to));
            if a > b {
                continue;
            }
            covers.push(match (a, b) == (start, end) {
                true => Span::add(pentad_key(a), pentad_key(a)),
                false => Span::add(day_key(a), day_key(b)),
            });
        }
    }
    let mut out: Vec<Span> = Vec::new();
    for span in covers {
        match out.last_mut() {
            Some(prev) if next_key(prev.high) == Some(span.low) => prev.high = span.high,
            _ => out.push(span),
        }
    }
    out
}

/// Spans of period keys covering every day after `to` (the future included): the rest of its
/// month and the months after; with `coarse`, the rest of its year as [`ranges`] reads it and
/// the years after.
fn ranges_after(to: NaiveDate, coarse: bool) -> Vec<Span> {
    let Some(next) = to.succ_opt() else {
        return Vec::new();
    };
    if !coarse {
        let end = month_end(to);
        let mut out = match to < end {
            true => ragged(next, end, coarse),
            false => Vec::new(),
        };
        out.push(Span::add(next_month(month_key(to)), LAST_MONTH));
        return out;
    }
    let year = next.year();
    let mut out = Vec::new();
    let mut years = year + 1;
    if (next.month(), next.day()) == (1, 1) {
        years = year;
    } else if let Some(last) = NaiveDate::from_ymd_opt(year, 12, 31) {
        out = ranges(next, last, true);
    }
    if years <= LAST_YEAR {
        out.push(Span::add(years, LAST_YEAR));
    }
    out
}

/// The key after `key` of its kind (the next year, month, decade, day or pentad), if any.
fn next_key(key: i32) -> Option<i32> {
    match key {
        TOTAL => None,
        k if k <= LAST_YEAR => (k < LAST_YEAR).then_some(k + 1),
        k if k <= LAST_MONTH => Some(next_month(k)),
        k if k <= LAST_DECADE => Some(match k % 10 {
            3 => next_month(k / 10) * 10 + 1,
            _ => k + 1,
        }),
        k if k <= LAST_DAY => key_day(k).and_then(|d| d.succ_opt()).map(day_key),
        k => key_day(k / 10)
            .and_then(|d| match d.day() {
                26 => month_end(d).succ_opt(),
                _ => d.checked_add_days(chrono::Days::new(5)),
            })
            .map(pentad_key),
    }
}

/// Whether a bucket of `key` can be stored when `last_month` is the last month stored.
fn stored(key: i32, last_month: i32) -> bool {
    match key {
        TOTAL => true,
        k if k <= LAST_YEAR => k <= last_month / 100,
        k if k <= LAST_MONTH => k <= last_month,
        k if k <= LAST_DECADE => k / 10 <= last_month,
        k if k <= LAST_DAY => k / 100 <= last_month,
        k => k / 1_000 <= last_month,
    }
}

/// The period keys of `span`, one by one, no later than `last_month` (the last one stored).
fn keys(span: &Span, last_month: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut key = Some(span.low);
    while let Some(k) = key.filter(|k| *k <= span.high && stored(*k, last_month)) {
        out.push(k);
        key = next_key(k);
    }
    out
}

/// How many buckets per group `spans` read at most: their [`keys`] up to `last_month` (the
/// last one stored).
fn buckets_read(spans: &[Span], last_month: i32) -> i32 {
    spans.iter().map(|s| keys(s, last_month).len() as i32).sum()
}

/// A span of period keys `low..=high` whose buckets count `within` times in the sums of a
/// period's own days and `level` times in the levels at its end (see [`plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub low: i32,
    pub high: i32,
    pub within: i64,
    pub level: i64,
}

impl Read {
    fn span(&self) -> Span {
        Span::add(self.low, self.high)
    }

    /// The parts a read counts in, with the sign of its buckets in each: one part, or for
    /// weights unlike any part's, the period's and the levels' apart.
    pub fn parts(&self) -> Vec<(Part, i64)> {
        match (self.within, self.level) {
            (0, level) => vec![(Part::Levels, level)],
            (within, 0) => vec![(Part::Within, within)],
            (within, level) if level == within => vec![(Part::Both, within)],
            (within, level) if level == -within => vec![(Part::Opposite, within)],
            (within, level) => vec![(Part::Within, within), (Part::Levels, level)],
        }
    }
}

/// The buckets that `within` and `level` read, stored up to `last_month`, as disjoint spans of
/// consecutive keys with the weights of each key in both: a bucket that both read is read once.
fn weigh(within: &[Span], level: &[Span], last_month: i32) -> Vec<Read> {
    let mut weights: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
    for span in within {
        for key in keys(span, last_month) {
            weights.entry(key).or_default().0 += span.sign;
        }
    }
    for span in level {
        for key in keys(span, last_month) {
            weights.entry(key).or_default().1 += span.sign;
        }
    }
    let mut out: Vec<Read> = Vec::new();
    for (key, (within, level)) in weights {
        if (within, level) == (0, 0) {
            continue;
        }
        match out.last_mut() {
            Some(r) if (r.within, r.level) == (within, level) && next_key(r.high) == Some(key) => {
                r.high = key
            }
            _ => out.push(Read {
                low: key,
                high: key,
                within,
                level,
            }),
        }
    }
    out
}

/// How a report reads the days `from..=to` from the buckets of the months `first..=last` (month
/// keys, the first and last stored; `coarse` as for [`ranges`]): the period's own buckets (its
/// [`ranges`]) and the levels at its end, which are every day up to `to`.
///
/// The levels come one of these ways: the days before the period, and the period; the whole
/// months to the end of the period's first month, and the period less its days of that month;
/// the total less every day after the period; or the total less the months after the period's
/// last month and that month's days after `to`. Each way is read either [`weigh`]ed with the
/// period's buckets (a bucket both need is read once, but the spans then fall into up to four
/// parts, each an aggregate of its own) or as two parts: the period's buckets, and those the
/// levels add. The plan is the way and form of the least cost, as measured on PostgreSQL
/// (all units, 2 December 2026): a bucket read for the period's 24 metrics costs 3, one read for
/// the 11 of the levels only 2, and each part 8 (its aggregate, and a row per group to send
/// and parse); of plans alike in cost, the one that reads the fewest buckets. The spans of a
/// plan may overlap: each counts with its own weights.
pub fn plan(from: NaiveDate, to: NaiveDate, (first, last): (i32, i32), coarse: bool) -> Vec<Read> {
    let within = ranges(from, to, coarse);
    let Some(start) = key_day(first * 100 + 1) else {
        return weigh(&within, &within, last);
    };
    let joined = |parts: &[&[Span]]| -> Vec<Span> { parts.concat() };
    let less = |spans: &[Span]| -> Vec<Span> { spans.iter().map(|s| s.negated()).collect() };
    let month = |day: NaiveDate| [Span::add(month_key(day), month_key(day))];
    // The ways: the spans the levels read besides the period's, and whether they add the
    // period's.
    let mut ways: Vec<(Vec<Span>, bool)> = Vec::new();
    let before = from
        .pred_opt()
        .map(|end| ranges(start, end, coarse))
        .unwrap_or_default();
    ways.push((before, true));
    let head_end = month_end(from);
    if let Some(day_before) = from.pred_opt().filter(|_| from > month_start(from)) {
        let through = ranges(start, head_end, coarse);
        let head = plain(from, head_end, coarse);
        let outside = plain(month_start(from), day_before, coarse);
        ways.push((joined(&[&through, &less(&head)]), true));
        ways.push((joined(&[&through, &less(&month(from)), &outside]), true));
    }
    let total = [Span::add(TOTAL, TOTAL)];
    ways.push((joined(&[&total, &less(&ranges_after(to, coarse))]), false));
    let tail_end = month_end(to);
    if let Some(day_after) = to.succ_opt().filter(|_| to < tail_end) {
        let beyond = joined(&[&total, &less(&ranges_after(tail_end, coarse))]);
        let tail = plain(month_start(to), to, coarse);
        let outside = plain(day_after, tail_end, coarse);
        ways.push((joined(&[&beyond, &less(&month(to)), &tail]), false));
        ways.push((joined(&[&beyond, &less(&outside)]), false));
    }
    let mut plans: Vec<Vec<Read>> = Vec::new();
    for (levels, with_period) in ways {
        let period = match with_period {
            true => joined(&[&levels, &within]),
            false => levels.clone(),
        };
        plans.push(weigh(&within, &period, last));
        let mut apart: Vec<Read> = weigh(&within, &[], last)
            .into_iter()
            .map(|r| Read {
                level: if with_period { r.within } else { 0 },
                ..r
            })
            .collect();
        apart.extend(weigh(&[], &levels, last));
        plans.push(apart);
    }
    // The cost, then the buckets read: of two plans alike in cost, the one that reads fewer.
    let cost = |reads: &Vec<Read>| {
        let mut parts = BTreeSet::new();
        let (mut cost, mut read) = (0, 0);
        for r in reads {
            for (part, _) in r.parts() {
                let per_bucket = if part == Part::Levels { 2 } else { 3 };
                let buckets = keys(&r.span(), last).len();
                cost += buckets * per_bucket;
                read += buckets;
                parts.insert(part);
            }
        }
        (cost + 8 * parts.len(), read)
    };
    plans.into_iter().min_by_key(cost).unwrap_or_default()
}

/// The part of a read by its weights: only in the levels, only within the period, in both
/// alike, or within and taken from the levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Levels = 0,
    Within = 1,
    Both = 2,
    Opposite = 3,
}

impl Part {
    /// Every part, each at the index of its code (`part as usize`).
    pub const ALL: [Part; 4] = [Part::Levels, Part::Within, Part::Both, Part::Opposite];

    /// How a bucket of the part counts: in the period's sums, and in the levels at its end.
    pub fn weights(self) -> (i64, i64) {
        match self {
            Part::Levels => (0, 1),
            Part::Within => (1, 0),
            Part::Both => (1, 1),
            Part::Opposite => (1, -1),
        }
    }
}

/// Calls `$callback!` with the names of the bucket metrics, in order: the one list that
/// [`Metrics`] and the store's bucket rows are made from.
#[macro_export]
#[doc(hidden)]
macro_rules! with_metric_names {
    ($callback:ident) => {
        $callback!(
            intake_online,
            intake_desk,
            refused,
            awaiting_started,
            awaiting_ended,
            awaiting_late_started,
            awaiting_late_ended,
            received_online,
            received_desk,
            finished_early,
            finished_on_time,
            finished_late,
            overdue_started,
            overdue_ended,
            processing_seconds,
            reused,
            digitized,
            results_issued,
            with_fee,
            paid_online,
            discount_vnd,
            satisfied,
            normal,
            dissatisfied
        );
    };
}

macro_rules! define_metrics {
    ($($field:ident),+) => {
        /// The counts of one bucket: a unit, a procedure and a day (or a month, or all time).
        /// The `_started` and `_ended` pairs give levels at a day's end (see the module
        /// documentation).
        ///
        /// At the receiving unit: `intake_online` and `intake_desk` (received at its desk, by
        /// channel), `refused` (at its desk), `awaiting_started` / `awaiting_ended` (online
        /// dossiers submitted to it, then received or finished), `awaiting_late_started` /
        /// `awaiting_late_ended` (past their 8-working-hour limit while awaiting, then received
        /// or finished). At the processing unit: `received_online`, `received_desk`,
        /// `finished_early`, `finished_on_time`, `finished_late`, `overdue_started` /
        /// `overdue_ended` (open dossiers that became overdue, then finished),
        /// `processing_seconds` (of finished dossiers, in the procedure's kind of time),
        /// `reused` (received dossiers that reused a stored document), `digitized` (finished
        /// dossiers whose components are all digitized, with an electronic result),
        /// `results_issued`, `with_fee` (received with a non-zero fee), `paid_online` (of
        /// those), `discount_vnd` (VND granted), and the ratings `satisfied`, `normal`,
        /// `dissatisfied`.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct Metrics {
            $(pub $field: i64,)+
        }

        impl Metrics {
            /// Field-wise `self + sign × other`.
            pub fn add_scaled(&mut self, other: &Metrics, sign: i64) {
                $(self.$field += sign * other.$field;)+
            }

            pub fn is_zero(&self) -> bool {
                $(self.$field == 0 &&)+ true
            }

            /// The metrics' names, as the store's bucket columns are named.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),+];

            /// The metric of that name.
            pub fn get_mut(&mut self, name: &str) -> Option<&mut i64> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)+
                    _ => None,
                }
            }
        }
    };
}

crate::with_metric_names!(define_metrics);

/// What the reports need to know of a dossier, as stored (instants in UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub receiving_unit: Id,
    pub processing_unit: Id,
    pub procedure: Id,
    pub channel: Channel,
    pub status: Status,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reception_due_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub overdue_at: Option<DateTime<Utc>>,
    pub supplement_requests: i32,
    pub processing_seconds: Option<i64>,
    /// A component was given as a document of the applicant's store.
    pub reused: bool,
    /// Every component is digitized (reused or scanned at the desk) and an electronic result was
    /// issued.
    pub digitized: bool,
    pub results_issued: i32,
    pub first_result_at: Option<DateTime<Utc>>,
    /// The frozen fee: what is charged and what it was before discounts.
    pub charged_vnd: i64,
    pub base_vnd: i64,
    /// A payment was made online.
    pub paid_online: bool,
    pub rating: Option<(Satisfaction, DateTime<Utc>)>,
}

/// How a dossier counts: the local day of each thing the reports count. The store keeps each
/// dossier's tally so that its next change can retract it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub receiving_unit: Id,
    pub processing_unit: Id,
    pub procedure: Id,
    pub online: bool,
    /// Online dossiers: the day submitted, the day their reception limit passed, the day they
    /// were received or finished.
    pub submitted_on: Option<NaiveDate>,
    pub reception_late_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub received_on: Option<NaiveDate>,
    /// Refused at reception.
    pub refused_on: Option<NaiveDate>,
    /// Received dossiers: the day they finished and how.
    pub finished: Option<(NaiveDate, Timeliness)>,
    /// Received dossiers: the day they became (or will become) overdue while open.
    pub overdue_on: Option<NaiveDate>,
    pub processing_seconds: i64,
    pub reused: bool,
    pub digitized: bool,
    pub results_issued: i32,
    pub results_on: Option<NaiveDate>,
    pub with_fee: bool,
    pub paid_online: bool,
    pub discount_vnd: i64,
    pub rating: Option<(Satisfaction, NaiveDate)>,
}

impl Tally {
    /// The tally of a dossier, with days in the time zone `tz`.
    pub fn of(r: &Record, tz: Tz) -> Tally {
        let day = |t: Option<DateTime<Utc>>| t.map(|t| t.with_timezone(&tz).date_naive());
        let online = r.channel == Channel::Online;
        let received = r.received_at.is_some();
        let finished = match (r.due_at, r.finished_at) {
            (Some(due), Some(ended)) if received => Some((
                ended.with_timezone(&tz).date_naive(),
                timeliness::finished(due, ended, r.supplement_requests > 1, tz),
            )),
            _ => None,
        };
        let only_received = |value: bool| received && value;
        Tally {
            receiving_unit: r.receiving_unit,
            processing_unit: r.processing_unit,
            procedure: r.procedure,
            online,
            submitted_on: if online { day(r.submitted_at) } else { None },
            reception_late_on: if online {
                day(r.reception_due_at)
            } else {
                None
            },
            left_on: if online {
                day(r.received_at.or(r.finished_at))
            } else {
                None
            },
            received_on: day(r.received_at),
            refused_on: if r.status == Status::Refused && !received {
                day(r.finished_at)
            } else {
                None
            },
            processing_seconds: if finished.is_some() {
                r.processing_seconds.unwrap_or(0)
            } else {
                0
            },
            finished,
            overdue_on: if received { day(r.overdue_at) } else { None },
            reused: only_received(r.reused),
            digitized: finished.is_some() && r.digitized,
            results_issued: if received { r.results_issued } else { 0 },
            results_on: if received {
                day(r.first_result_at)
            } else {
                None
            },
            with_fee: only_received(r.charged_vnd > 0),
            paid_online: only_received(r.charged_vnd > 0 && r.paid_online),
            discount_vnd: if received {
                (r.base_vnd - r.charged_vnd).max(0)
            } else {
                0
            },
            rating: if received {
                r.rating
                    .map(|(s, at)| (s, at.with_timezone(&tz).date_naive()))
            } else {
                None
            },
        }
    }
}

/// Counts of one unit and procedure on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub unit: Id,
    pub procedure: Id,
    pub day: NaiveDate,
    pub metrics: Metrics,
}

/// The per-day counts of a tally.
pub fn entries(t: &Tally) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut add = |unit: Id, day: NaiveDate, set: &dyn Fn(&mut Metrics)| {
        let entry = match out.iter_mut().find(|e| e.unit == unit && e.day == day) {
            Some(entry) => entry,
            None => {
                out.push(Entry {
                    unit,
                    procedure: t.procedure,
                    day,
                    metrics: Metrics::default(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        set(&mut entry.metrics);
    };
    let (desk, unit) = (t.receiving_unit, t.processing_unit);
    if let Some(d) = t.submitted_on {
        add(desk, d, &|m| m.awaiting_started += 1);
        if let Some(left) = t.left_on {
            add(desk, left, &|m| m.awaiting_ended += 1);
        }
    }
    if let Some(late) = t.reception_late_on {
        match t.left_on {
            None => add(desk, late, &|m| m.awaiting_late_started += 1),
            Some(left) if late <= left => {
                add(desk, late, &|m| m.awaiting_late_started += 1);
                add(desk, left, &|m| m.awaiting_late_ended += 1);
            }
            Some(_) => {}
        }
    }
    if let Some(d) = t.refused_on {
        add(desk, d, &|m| m.refused += 1);
    }
    if let Some(d) = t.received_on {
        let online = t.online;
        add(desk, d, &|m| {
            if online {
                m.intake_online += 1
            } else {
                m.intake_desk += 1
            }
        });
        let (reused, with_fee, paid, discount) =
            (t.reused, t.with_fee, t.paid_online, t.discount_vnd);
        add(unit, d, &|m| {
            if online {
                m.received_online += 1
            } else {
                m.received_desk += 1
            }
            m.reused += i64::from(reused);
            m.with_fee += i64::from(with_fee);
            m.paid_online += i64::from(paid);
            m.discount_vnd += discount;
        });
    }
    if let Some((d, how)) = t.finished {
        let (seconds, digitized) = (t.processing_seconds, t.digitized);
        add(unit, d, &|m| {
            match how {
                Timeliness::Early => m.finished_early += 1,
                Timeliness::OnTime => m.finished_on_time += 1,
                _ => m.finished_late += 1,
            }
            m.processing_seconds += seconds;
            m.digitized += i64::from(digitized);
        });
    }
    if let Some(o) = t.overdue_on {
        match t.finished {
            None => add(unit, o, &|m| m.overdue_started += 1),
            Some((f, _)) if o <= f => {
                add(unit, o, &|m| m.overdue_started += 1);
                add(unit, f, &|m| m.overdue_ended += 1);
            }
            Some(_) => {}
        }
    }
    if let Some(d) = t.results_on {
        let n = i64::from(t.results_issued);
        add(unit, d, &|m| m.results_issued += n);
    }
    if let Some((how, d)) = t.rating {
        add(unit, d, &|m| match how {
            Satisfaction::Satisfied => m.satisfied += 1,
            Satisfaction::Normal => m.normal += 1,
            Satisfaction::Dissatisfied => m.dissatisfied += 1,
        });
    }
    out
}

/// A change to one stored bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub unit: Id,
    pub procedure: Id,
    /// A day, pentad, decade, month or year key, or [`TOTAL`].
    pub period: i32,
    pub metrics: Metrics,
}

/// The procedure key of the buckets that hold a unit's counts over all its procedures, which the
/// unit reports read (so that they sum a few rows per unit, whatever the number of procedures).
pub const ALL_PROCEDURES: Id = Id(uuid::Uuid::nil());

/// The unit key of the buckets that hold a procedure's counts over all units (a roll-up of its
/// day, month and total buckets, which the report merge writes from the deltas it moves), which
/// procedure reports over every unit read. No unit has the nil id.
pub const ALL_UNITS: Id = Id(uuid::Uuid::nil());

/// What changes in the buckets when a dossier's tally goes from `before` to `after` (`None`: the
/// dossier did not exist, or is removed): each entry in its day, month and total buckets, for its
/// procedure and for [`ALL_PROCEDURES`], and in its pentad's, decade's and year's for
/// [`ALL_PROCEDURES`], merged, without empty changes, ordered by (unit, period, procedure) so
/// that concurrent writers take row locks in one order.
pub fn deltas(before: Option<&Tally>, after: Option<&Tally>) -> Vec<Delta> {
    let mut out: Vec<Delta> = Vec::new();
    let signed = before
        .map(|t| (t, -1))
        .into_iter()
        .chain(after.map(|t| (t, 1)));
    for (tally, sign) in signed {
        for entry in entries(tally) {
            let keys = [day_key(entry.day), month_key(entry.day), TOTAL]
                .into_iter()
                .flat_map(|period| [(entry.procedure, period), (ALL_PROCEDURES, period)])
                .chain([
                    (ALL_PROCEDURES, pentad_key(entry.day)),
                    (ALL_PROCEDURES, decade_key(entry.day)),
                    (ALL_PROCEDURES, year_key(entry.day)),
                ]);
            for (procedure, period) in keys {
                let found = out.iter_mut().find(|d| {
                    d.unit == entry.unit && d.procedure == procedure && d.period == period
                });
                match found {
                    Some(delta) => delta.metrics.add_scaled(&entry.metrics, sign),
                    None => {
                        let mut metrics = Metrics::default();
                        metrics.add_scaled(&entry.metrics, sign);
                        out.push(Delta {
                            unit: entry.unit,
                            procedure,
                            period,
                            metrics,
                        });
                    }
                }
            }
        }
    }
    out.retain(|d| !d.metrics.is_zero());
    out.sort_by_key(|d| (d.unit, d.period, d.procedure));
    out
}

/// The sums of one group's buckets for a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    /// Buckets of the period's days.
    pub within: Metrics,
    /// Buckets of every day up to the period's end: the levels at its end.
    pub at_end: Metrics,
}

/// Levels judged at the present moment, for a period that has not ended yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present {
    /// Open dossiers overdue now.
    pub overdue: i64,
    /// Online dossiers awaiting reception past their limit now.
    pub awaiting_late: i64,
}

/// The metrics that levels are made of: [`counts`] reads only these of a [`Sums`]'s `at_end`,
/// so that a store may sum only these for it (the others may be left zero).
pub const LEVEL_METRICS: [&str; 11] = [
    "received_online",
    "received_desk",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "overdue_started",
    "overdue_ended",
    "awaiting_started",
    "awaiting_ended",
    "awaiting_late_started",
    "awaiting_late_ended",
];

fn open(m: &Metrics) -> i64 {
    m.received_online + m.received_desk - m.finished_early - m.finished_on_time - m.finished_late
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The report's counts of one group over a period, from its bucket sums; `present` when the
/// period has not ended (its open dossiers are then judged now, not at its end).
pub fn counts(s: &Sums, present: Option<Present>) -> Counts {
    let at_end = s.at_end;
    let mut at_start = at_end;
    at_start.add_scaled(&s.within, -1);
    let w = &s.within;
    let open_at_end = open(&at_end);
    let overdue = present.map_or(at_end.overdue_started - at_end.overdue_ended, |p| p.overdue);
    let awaiting_late = present.map_or(
        at_end.awaiting_late_started - at_end.awaiting_late_ended,
        |p| p.awaiting_late,
    );
    let finished = w.finished_early + w.finished_on_time + w.finished_late;
    Counts {
        carried_over: count(open(&at_start)),
        received_online: count(w.received_online),
        received_desk: count(w.received_desk),
        finished_early: count(w.finished_early),
        finished_on_time: count(w.finished_on_time),
        finished_late: count(w.finished_late),
        open_in_time: count(open_at_end - overdue),
        open_overdue: count(overdue),
        awaiting_reception: count(at_end.awaiting_started - at_end.awaiting_ended),
        awaiting_reception_overdue: count(awaiting_late),
        refused: count(w.refused),
        digitized_with_result: count(w.digitized),
        all_dossiers: count(finished),
        reused: count(w.reused),
        results_issued: count(w.results_issued),
        with_fee: count(w.with_fee),
        paid_online: count(w.paid_online),
        satisfied: count(w.satisfied),
        normal: count(w.normal),
        dissatisfied: count(w.dissatisfied),
        discount_vnd: count(w.discount_vnd),
        intake_online: count(w.intake_online),
        intake_desk: count(w.intake_desk),
        processing_seconds: count(w.processing_seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TZ: Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        TZ.from_local_datetime(&local).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn counts_read_only_the_level_metrics_at_the_end() {
        let mut metrics = Metrics::default();
        for (i, name) in Metrics::NAMES.iter().enumerate() {
            *metrics.get_mut(name).unwrap() = 100 + 7 * i as i64;
        }
        // Levels well above zero, so that a change to any of their parts shows.
        metrics.received_online = 100_000;
        metrics.overdue_started = 20_000;
        metrics.awaiting_started = 50_000;
        metrics.awaiting_late_started = 20_000;
        let within = Metrics {
            received_online: 5,
            finished_late: 2,
            ..Default::default()
        };
        let sums = Sums {
            within,
            at_end: metrics,
        };
        let expected = counts(&sums, None);
        for name in LEVEL_METRICS {
            assert!(Metrics::NAMES.contains(&name), "{name} is a metric");
        }
        for name in Metrics::NAMES.iter().filter(|n| !LEVEL_METRICS.contains(n)) {
            let mut changed = sums;
            *changed.at_end.get_mut(name).unwrap() += 1_000;
            assert_eq!(counts(&changed, None), expected, "{name} is not a level");
        }
        for name in LEVEL_METRICS {
            let mut changed = sums;
            *changed.at_end.get_mut(name).unwrap() += 1_000;
            assert_ne!(counts(&changed, None), expected, "{name} makes a level");
        }
    }

    /// How many times `spans` count `day`: once per span holding one of its keys, by sign.
    fn times(spans: &[Span], day: NaiveDate) -> i64 {
        let keys = [
            day_key(day),
            pentad_key(day),
            decade_key(day),
            month_key(day),
            year_key(day),
        ];
        spans
            .iter()
            .filter(|s| keys.iter().any(|k| s.holds(*k)))
            .map(|s| s.sign)
            .sum()
    }

    #[test]
    fn ranges_cover_exactly_the_days() {
        type Case<'a> = (&'a str, &'a str, &'a [Span]);
        let (add, less) = (Span::add, Span::less);
        let cases: &[Case] = &[
            ("2026-01-01", "2026-12-31", &[add(202601, 202612)]),
            ("2026-03-05", "2026-03-09", &[add(20260305, 20260309)]),
            ("2026-02-01", "2026-02-28", &[add(202602, 202602)]),
            (
                "2026-01-15",
                "2026-03-14",
                &[
                    add(202601, 202602),
                    less(20260101, 20260114),
                    add(20260301, 20260314),
                ],
            ),
            (
                "2026-01-15",
                "2026-02-14",
                &[
                    add(202601, 202601),
                    less(20260101, 20260114),
                    add(20260201, 20260214),
                ],
            ),
            ("2025-12-01", "2026-01-31", &[add(202512, 202601)]),
            ("2026-01-02", "2026-01-01", &[]),
            // The last 365 days: whole months from the first, less its first day.
            (
                "2025-12-02",
                "2026-12-01",
                &[
                    add(202512, 202611),
                    less(20251201, 20251201),
                    add(20261201, 20261201),
                ],
            ),
            // Most of a month on both sides of one day, from either end.
            (
                "2026-03-02",
                "2026-03-30",
                &[
                    add(202603, 202603),
                    less(20260301, 20260301),
                    less(20260331, 20260331),
                ],
            ),
            (
                "2026-04-01",
                "2026-05-29",
                &[add(202604, 202605), less(20260530, 20260531)],
            ),
        ];
        // Every day of the period counts once, and no other day does.
        let exact = |from: &str, to: &str, spans: &[Span]| {
            let mut day = d(from) - chrono::Days::new(400);
            while day < d(to) + chrono::Days::new(400) {
                let inside = (d(from)..=d(to)).contains(&day);
                assert_eq!(times(spans, day), i64::from(inside), "{from}..{to}: {day}");
                day = day.succ_opt().unwrap();
            }
        };
        for (from, to, expected) in cases {
            let spans = ranges(d(from), d(to), false);
            assert_eq!(spans, expected.to_vec(), "{from}..{to}");
            exact(from, to, &spans);
        }
        // With decades (the buckets of all procedures together).
        let cases: &[Case] = &[
            // Mid-month to mid-month: this year less its last two months, and at each end a
            // day, a pentad and a decade (15, 16 to 20 and 21 to 31 December; 1 to 10, 11 to
            // 15 and 16 November).
            (
                "2025-12-15",
                "2026-11-16",
                &[
                    add(2026, 2026),
                    less(202611, 202612),
                    add(20251215, 20251215),
                    add(202512160, 202512160),
                    add(2025123, 2025123),
                    add(2026111, 2026111),
                    add(202611110, 202611110),
                    add(20261116, 20261116),
                ],
            ),
            // Whole years, one after another.
            ("2025-01-01", "2025-12-31", &[add(2025, 2025)]),
            ("2024-01-01", "2025-12-31", &[add(2024, 2025)]),
            // A year less its last month, a few months, the months of two years.
            (
                "2025-12-01",
                "2026-11-30",
                &[add(202512, 202512), add(2026, 2026), less(202612, 202612)],
            ),
            (
                "2026-01-01",
                "2026-12-01",
                &[
                    add(2026, 2026),
                    less(202612, 202612),
                    add(20261201, 20261201),
                ],
            ),
            ("2026-03-01", "2026-05-31", &[add(202603, 202605)]),
            (
                "2025-02-01",
                "2026-01-31",
                &[add(2025, 2025), less(202501, 202501), add(202601, 202601)],
            ),
            (
                "2026-01-13",
                "2026-01-31",
                &[
                    add(202601, 202601),
                    less(2026011, 2026011),
                    less(20260111, 20260112),
                ],
            ),
            // The 5th, a pentad and two decades, not the month less four days.
            (
                "2026-01-05",
                "2026-01-31",
                &[
                    add(20260105, 20260105),
                    add(202601060, 202601060),
                    add(2026012, 2026013),
                ],
            ),
            (
                "2026-01-03",
                "2026-01-31",
                &[add(202601, 202601), less(20260101, 20260102)],
            ),
            (
                "2026-01-04",
                "2026-01-27",
                &[
                    add(20260104, 20260105),
                    add(202601060, 202601060),
                    add(2026012, 2026012),
                    add(202601210, 202601210),
                    add(20260126, 20260127),
                ],
            ),
            ("2026-02-11", "2026-02-28", &[add(2026022, 2026023)]),
            // The month less the first decade, a pentad and the 16th, not days 17 to 20 and the
            // last decade.
            (
                "2026-01-17",
                "2026-01-31",
                &[
                    add(202601, 202601),
                    less(2026011, 2026011),
                    less(202601110, 202601110),
                    less(20260116, 20260116),
                ],
            ),
            ("2026-03-09", "2026-03-12", &[add(20260309, 20260312)]),
            ("2026-02-01", "2026-02-28", &[add(202602, 202602)]),
        ];
        for (from, to, expected) in cases {
            let spans = ranges(d(from), d(to), true);
            assert_eq!(spans, expected.to_vec(), "{from}..{to}");
            exact(from, to, &spans);
        }
        // Every day after `to` counts once, and no other day does.
        let after: &[(&str, bool, &[Span])] = &[
            (
                "2026-03-14",
                false,
                &[
                    add(202603, 202603),
                    less(20260301, 20260314),
                    add(202604, 999_912),
                ],
            ),
            // The year less its first three months, the 15th, a pentad and a decade, then the
            // years.
            (
                "2026-03-14",
                true,
                &[
                    add(2026, 2026),
                    less(202601, 202603),
                    add(20260315, 20260315),
                    add(202603160, 202603160),
                    add(2026033, 2026033),
                    add(2027, 9_999),
                ],
            ),
            (
                "2026-03-20",
                false,
                &[add(20260321, 20260331), add(202604, 999_912)],
            ),
            (
                "2026-11-16",
                true,
                &[
                    add(202611, 202612),
                    less(2026111, 2026111),
                    less(202611110, 202611110),
                    less(20261116, 20261116),
                    add(2027, 9_999),
                ],
            ),
            ("2026-12-31", true, &[add(2027, 9_999)]),
            ("2026-12-31", false, &[add(202701, 999_912)]),
        ];
        for (to, coarse, expected) in after {
            let spans = ranges_after(d(to), *coarse);
            assert_eq!(spans, expected.to_vec(), "after {to}");
            let mut day = d(to) - chrono::Days::new(400);
            while day < d(to) + chrono::Days::new(400) {
                let after = i64::from(day > d(to));
                assert_eq!(times(&spans, day), after, "after {to}: {day}");
                day = day.succ_opt().unwrap();
            }
        }
        assert_eq!(decade_key(d("2026-02-28")), 2026023);
        assert_eq!(decade_key(d("2026-01-10")), 2026011);
        assert_eq!(decade_key(d("2026-01-11")), 2026012);
        assert_eq!(pentad_key(d("2026-01-05")), 202601010);
        assert_eq!(pentad_key(d("2026-01-06")), 202601060);
        assert_eq!(pentad_key(d("2026-01-31")), 202601260);
        assert_eq!(pentad_key(d("2026-02-28")), 202602260);
        // Pentads one by one, across months, up to the last stored month.
        assert_eq!(
            keys(&add(202601210, 202602060), 202612),
            vec![202601210, 202601260, 202602010, 202602060]
        );
        assert_eq!(keys(&add(202612260, 202701010), 202612), vec![202612260]);
        assert_eq!(key_day(20260229), None);
        assert_eq!(key_day(20240229), Some(d("2024-02-29")));
        // Read at most: the total, 11 days, the months up to the last stored.
        let spans = [
            add(TOTAL, TOTAL),
            add(20260321, 20260331),
            add(202604, 999_912),
        ];
        assert_eq!(buckets_read(&spans, 202612), 1 + 11 + 9);
        assert_eq!(buckets_read(&spans, 202603), 1 + 11);
        // One by one, up to the last stored month.
        assert_eq!(keys(&add(TOTAL, TOTAL), 202612), vec![TOTAL]);
        assert_eq!(keys(&add(2024, 9_999), 202612), vec![2024, 2025, 2026]);
        assert_eq!(
            keys(&add(202511, 999_912), 202602),
            vec![202511, 202512, 202601, 202602]
        );
        assert_eq!(
            keys(&add(2025122, 2026012), 202612),
            vec![2025122, 2025123, 2026011, 2026012]
        );
        assert_eq!(
            keys(&add(20260227, 20260302), 202612),
            vec![20260227, 20260228, 20260301, 20260302]
        );
        assert_eq!(
            keys(&add(20261229, 20270102), 202612),
            vec![20261229, 20261230, 20261231]
        );
        assert_eq!(keys(&add(202701, 202712), 202612), Vec::<i32>::new());
        // Years up to the last stored month's.
        let spans = [add(2026, 2026), less(202601, 202602), add(2027, 9_999)];
        assert_eq!(buckets_read(&spans, 202612), 1 + 2);
        assert_eq!(buckets_read(&spans, 202701), 1 + 2 + 1);
    }

    fn record() -> Record {
        Record {
            receiving_unit: Id(uuid::Uuid::from_u128(1)),
            processing_unit: Id(uuid::Uuid::from_u128(2)),
            procedure: Id(uuid::Uuid::from_u128(3)),
            channel: Channel::Online,
            status: Status::Submitted,
            submitted_at: Some(t("2026-03-02 09:00")),
            reception_due_at: Some(t("2026-03-03 09:00")),
            received_at: None,
            due_at: None,
            finished_at: None,
            overdue_at: None,
            supplement_requests: 0,
            processing_seconds: None,
            reused: true,
            digitized: false,
            results_issued: 0,
            first_result_at: None,
            charged_vnd: 50_000,
            base_vnd: 100_000,
            paid_online: false,
            rating: None,
        }
    }

    /// Sums the deltas of tallies into buckets and reads a period back, as the store does.
    fn report(tallies: &[Tally], from: &str, to: &str) -> Counts {
        let buckets: Vec<Delta> = tallies
            .iter()
            .flat_map(|t| deltas(None, Some(t)))
            .filter(|d| d.procedure == ALL_PROCEDURES)
            .collect();
        let months = || {
            buckets
                .iter()
                .map(|b| b.period)
                .filter(|p| (LAST_YEAR + 1..=LAST_MONTH).contains(p))
        };
        let stored = (months().min().unwrap(), months().max().unwrap());
        let reads = plan(d(from), d(to), stored, true);
        let mut s = Sums::default();
        // Reads may overlap: each counts a bucket with its own weights.
        for b in &buckets {
            for r in reads
                .iter()
                .filter(|r| (r.low..=r.high).contains(&b.period))
            {
                s.within.add_scaled(&b.metrics, r.within);
                s.at_end.add_scaled(&b.metrics, r.level);
            }
        }
        counts(&s, None)
    }

    #[test]
    fn a_plan_reads_the_period_and_the_levels_at_its_end_exactly() {
        // (from, to, coarse, buckets read per group), with buckets from December 2024 to
        // December 2026.
        let cases: &[(&str, &str, bool, usize)] = &[
            // Mid-month: the period's 9 buckets, weighed with the levels'. Its head's ragged
            // days count only within, its tail's also in the levels, which are the total less
            // what follows: 1 bucket more, in 3 parts. (Days before the period, as the levels,
            // cost as much and read 14.)
            ("2025-12-15", "2026-11-16", true, 10),
            // The last 365 days: its 5 buckets, and apart the total less the next 31 days.
            ("2025-12-02", "2026-12-01", true, 8),
            ("2026-01-01", "2026-12-31", true, 2),
            // A year from the first month stored: its year and the month before.
            ("2025-01-01", "2025-12-31", true, 2),
            ("2026-01-01", "2026-12-02", true, 6),
            ("2026-03-09", "2026-03-12", true, 11),
            // Before anything stored, or past the last month: what is stored.
            ("2024-06-01", "2024-06-30", true, 1),
            ("2026-11-20", "2027-02-01", true, 4),
            // Without decades and years: months and days.
            ("2025-12-15", "2026-11-16", false, 42),
            ("2025-12-02", "2026-12-01", false, 17),
            ("2026-01-01", "2026-12-31", false, 13),
            ("2026-03-09", "2026-03-12", false, 23),
        ];
        let stored = (202412, 202612);
        let (start, end) = (d("2024-12-01"), d("2026-12-31"));
        for (from, to, coarse, expected) in cases {
            let reads = plan(d(from), d(to), stored, *coarse);
            let read: usize = reads.iter().map(|r| keys(&r.span(), stored.1).len()).sum();
            assert_eq!(read, *expected, "{from}..{to} ({coarse}): {reads:?}");
            // Over the days stored, each of the period's counts once within, and each up to its
            // end once in the levels.
            let mut day = start;
            while day <= end {
                let keys = [
                    TOTAL,
                    year_key(day),
                    month_key(day),
                    decade_key(day),
                    pentad_key(day),
                    day_key(day),
                ];
                let (mut within, mut level) = (0, 0);
                for r in &reads {
                    for _ in keys.iter().filter(|k| (r.low..=r.high).contains(k)) {
                        within += r.within;
                        level += r.level;
                    }
                }
                let inside = (d(from)..=d(to)).contains(&day);
                assert_eq!(within, i64::from(inside), "{from}..{to}: {day} within");
                assert_eq!(level, i64::from(day <= d(to)), "{from}..{to}: {day} level");
                day = day.succ_opt().unwrap();
            }
        }
        // With nothing stored before the period, the levels are the period's own.
        let reads = plan(d("2024-12-01"), d("2024-12-31"), stored, true);
        assert_eq!(
            reads,
            vec![Read {
                low: 202412,
                high: 202412,
                within: 1,
                level: 1
            }]
        );
    }

    #[test]
    fn a_dossier_counts_in_each_period_of_its_life() {
        // Submitted Monday 2 March, left waiting past its limit, received 4 March with due
        // 10 March, overdue from then, finished late on 16 March, rated on the 20th.
        let mut r = record();
        let waiting = Tally::of(&r, TZ);
        r.status = Status::Returned;
        r.received_at = Some(t("2026-03-04 10:00"));
        r.due_at = Some(t("2026-03-10 10:00"));
        r.overdue_at = r.due_at;
        r.finished_at = Some(t("2026-03-16 15:00"));
        r.processing_seconds = Some(36_000);
        r.rating = Some((Satisfaction::Dissatisfied, t("2026-03-20 08:00")));
        let done = Tally::of(&r, TZ);
        assert_eq!(done.finished, Some((d("2026-03-16"), Timeliness::Late)));

        let c = report(std::slice::from_ref(&waiting), "2026-03-01", "2026-03-03");
        assert_eq!((c.awaiting_reception, c.awaiting_reception_overdue), (1, 1));
        assert_eq!(c.received(), 0);
        let c = report(std::slice::from_ref(&waiting), "2026-03-01", "2026-03-02");
        assert_eq!((c.awaiting_reception, c.awaiting_reception_overdue), (1, 0));

        let tallies = [done];
        let c = report(&tallies, "2026-03-01", "2026-03-03");
        assert_eq!((c.awaiting_reception, c.awaiting_reception_overdue), (1, 1));
        let c = report(&tallies, "2026-03-01", "2026-03-09");
        assert_eq!(
            (c.received_online, c.intake_online, c.open_in_time),
            (1, 1, 1)
        );
        assert_eq!((c.reused, c.with_fee, c.discount_vnd), (1, 1, 50_000));
        assert_eq!(c.awaiting_reception, 0);
        let c = report(&tallies, "2026-03-10", "2026-03-12");
        assert_eq!((c.carried_over, c.open_in_time, c.open_overdue), (1, 0, 1));
        assert!(c.identity_holds());
        let c = report(&tallies, "2026-03-13", "2026-03-31");
        assert_eq!((c.carried_over, c.finished_late, c.open()), (1, 1, 0));
        assert_eq!((c.processing_seconds, c.dissatisfied), (36_000, 1));
        assert!(c.identity_holds());
        let c = report(&tallies, "2026-04-01", "2026-04-30");
        assert_eq!(c, Counts::default());
        // A year holds it all.
        let c = report(&tallies, "2026-01-01", "2026-12-31");
        assert_eq!((c.received(), c.finished_late, c.carried_over), (1, 1, 0));
    }

    #[test]
    fn a_change_retracts_the_old_tally() {
        let mut r = record();
        let before = Tally::of(&r, TZ);
        r.status = Status::Refused;
        r.finished_at = Some(t("2026-03-02 10:00"));
        let after = Tally::of(&r, TZ);
        assert_eq!(after.refused_on, Some(d("2026-03-02")));
        let change = deltas(Some(&before), Some(&after));
        // Refused and no longer awaiting on 2 March; the reception limit (3 March) had not
        // passed when it left, so that day loses its late start. Each change counts in its day,
        // its month and the total.
        // The same for the procedure and for all procedures: in pairs, all procedures first;
        // all procedures also in the pentad of 1 to 5 March, the decade of 1 to 10 March and in
        // 2026, the same as the month.
        assert_eq!(change.len(), 11);
        let (coarse, change): (Vec<Delta>, Vec<Delta>) = change
            .into_iter()
            .partition(|d| [202603010, 2026031, 2026].contains(&d.period));
        assert_eq!(coarse.len(), 3);
        let month = change.iter().find(|d| d.period == 202603).unwrap();
        for delta in &coarse {
            assert_eq!(delta.procedure, ALL_PROCEDURES);
            assert_eq!(delta.metrics, month.metrics);
        }
        for pair in change.chunks(2) {
            assert_eq!(pair[0].procedure, ALL_PROCEDURES);
            assert_eq!(pair[1].procedure, Id(uuid::Uuid::from_u128(3)));
            assert_eq!(
                (pair[0].period, pair[0].metrics),
                (pair[1].period, pair[1].metrics)
            );
        }
        let periods: Vec<i32> = change.iter().step_by(2).map(|d| d.period).collect();
        assert_eq!(periods, vec![TOTAL, 202603, 20260302, 20260303]);
        for delta in &change[..4] {
            let m = delta.metrics;
            assert_eq!(
                (m.refused, m.awaiting_ended, m.awaiting_late_started),
                (1, 1, -1)
            );
        }
        assert_eq!(change[7].metrics.awaiting_late_started, -1);
        assert_eq!(change[7].metrics.refused, 0);
        assert!(deltas(Some(&after), Some(&after)).is_empty());
    }

    #[test]
    fn unreceived_dossiers_count_only_at_the_desk() {
        let mut r = record();
        r.status = Status::Stopped;
        r.finished_at = Some(t("2026-03-02 11:00"));
        let tally = Tally::of(&r, TZ);
        assert_eq!(tally.finished, None);
        assert_eq!(tally.refused_on, None);
        assert!(!tally.reused && !tally.with_fee);
        let c = report(&[tally], "2026-03-01", "2026-03-31");
        assert_eq!(c, Counts::default());
    }

    #[test]
    fn the_present_judges_a_period_not_ended() {
        let s = Sums {
            at_end: Metrics {
                received_desk: 3,
                overdue_started: 3,
                ..Default::default()
            },
            ..Default::default()
        };
        let c = counts(
            &s,
            Some(Present {
                overdue: 1,
                awaiting_late: 0,
            }),
        );
        assert_eq!((c.carried_over, c.open_in_time, c.open_overdue), (3, 2, 1));
    }

    /// A dossier's random life through the real planner: its facts after each action, with the
    /// instant of each.
    struct Life {
        online: bool,
        submitted_at: DateTime<Utc>,
        reception_due_at: Option<DateTime<Utc>>,
        snapshots: Vec<(DateTime<Utc>, super::super::workflow::Facts)>,
    }

    /// A random life from `base` on.
    fn live(base: &str, online: bool, start_minutes: u32, steps: &[(usize, u32)]) -> Life {
        use super::super::calendar::{TimeUnit, WorkingCalendar};
        use super::super::lifecycle::{Action, Actor};
        use super::super::workflow::{plan, Facts, Procedure, Request};
        let calendar = WorkingCalendar::new(TZ, Default::default(), []);
        let procedure = Procedure {
            amount: 2,
            unit: TimeUnit::WorkingDays,
            steps: Vec::new(),
        };
        let mut now =
            t(&format!("{base} 00:00")) + chrono::TimeDelta::minutes(i64::from(start_minutes));
        let submitted_at = now;
        let mut facts = if online {
            Facts::new(Status::Submitted)
        } else {
            let mut f = Facts::new(Status::Received);
            f.receive(now, &procedure, &calendar);
            f
        };
        let mut snapshots = vec![(now, facts.clone())];
        for (action, minutes) in steps {
            now += chrono::TimeDelta::minutes(i64::from(*minutes) + 1);
            let action = Action::ALL[action % Action::ALL.len()];
            let request = Request {
                note: Some("ghi chú".into()),
                reason: Some("lý do".into()),
                missing_components: vec![Id(uuid::Uuid::from_u128(9))],
                specialist_id: Some(Id(uuid::Uuid::from_u128(8))),
                new_due_at: facts.due_at.map(|d| d + chrono::TimeDelta::days(3)),
                supplied_components: 1,
                acting_account: None,
                amount_due: 10_000,
                receipt_number: Some("BL-1".into()),
            };
            let outcome = [
                Actor::Reception,
                Actor::Specialist,
                Actor::Leader,
                Actor::Applicant,
            ]
            .into_iter()
            .find_map(|actor| {
                plan(&facts, action, actor, &request, &procedure, &calendar, now).ok()
            });
            if let Some(outcome) = outcome {
                facts = outcome.facts;
                snapshots.push((now, facts.clone()));
            }
        }
        Life {
            online,
            submitted_at,
            reception_due_at: online
                .then(|| super::super::deadline::reception_due(&calendar, submitted_at)),
            snapshots,
        }
    }

    impl Life {
        fn record(&self) -> Record {
            let f = &self.snapshots.last().unwrap().1;
            Record {
                channel: if self.online {
                    Channel::Online
                } else {
                    Channel::InPerson
                },
                status: f.status,
                submitted_at: self.online.then_some(self.submitted_at),
                reception_due_at: self.reception_due_at,
                received_at: f.received_at,
                due_at: f.due_at,
                finished_at: f.finished_at,
                overdue_at: f.overdue_at,
                supplement_requests: f.supplement_requests,
                processing_seconds: f.processing_seconds,
                reused: false,
                charged_vnd: 0,
                base_vnd: 0,
                ..record()
            }
        }

        /// The facts as they stood at `at` (every action before it applied).
        fn at(&self, at: DateTime<Utc>) -> Option<&super::super::workflow::Facts> {
            self.snapshots
                .iter()
                .take_while(|(t, _)| *t < at)
                .last()
                .map(|(_, f)| f)
        }
    }

    /// The period's figures counted straight from the dossiers' states at its start and end,
    /// with the timeliness rules of DOMAIN.md §7.
    fn recount(lives: &[Life], from: NaiveDate, to: NaiveDate) -> Counts {
        let midnight = |d: NaiveDate| {
            TZ.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc)
        };
        let (start, end) = (midnight(from), midnight(to.succ_opt().unwrap()));
        let inside = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t >= start && t < end);
        let mut c = Counts::default();
        for life in lives {
            let last = &life.snapshots.last().unwrap().1;
            if let Some(f) = life.at(start) {
                if f.received_at.is_some() && f.finished_at.is_none() {
                    c.carried_over += 1;
                }
            }
            if inside(last.received_at) {
                if life.online {
                    c.received_online += 1;
                } else {
                    c.received_desk += 1;
                }
            }
            if last.received_at.is_some() && inside(last.finished_at) {
                let how = timeliness::finished(
                    last.due_at.unwrap(),
                    last.finished_at.unwrap(),
                    last.supplement_requests > 1,
                    TZ,
                );
                match how {
                    Timeliness::Early => c.finished_early += 1,
                    Timeliness::OnTime => c.finished_on_time += 1,
                    _ => c.finished_late += 1,
                }
            }
            if last.status == Status::Refused
                && last.received_at.is_none()
                && inside(last.finished_at)
            {
                c.refused += 1;
            }
            let Some(f) = life.at(end) else { continue };
            if f.received_at.is_some() && f.finished_at.is_none() {
                let clock = timeliness::Clock {
                    due_at: f.due_at,
                    finished_at: None,
                    paused_at: f.paused_at,
                    supplement_requests: f.supplement_requests,
                };
                match timeliness::of_dossier(clock, end, TZ) {
                    Some(Timeliness::Overdue) => c.open_overdue += 1,
                    _ => c.open_in_time += 1,
                }
            }
            if life.online && f.received_at.is_none() && f.finished_at.is_none() {
                c.awaiting_reception += 1;
                if life.reception_due_at.is_some_and(|due| due < end) {
                    c.awaiting_reception_overdue += 1;
                }
            }
        }
        c
    }

    /// The figures the recount covers, from a report.
    fn comparable(c: Counts) -> Counts {
        Counts {
            carried_over: c.carried_over,
            received_online: c.received_online,
            received_desk: c.received_desk,
            finished_early: c.finished_early,
            finished_on_time: c.finished_on_time,
            finished_late: c.finished_late,
            open_in_time: c.open_in_time,
            open_overdue: c.open_overdue,
            awaiting_reception: c.awaiting_reception,
            awaiting_reception_overdue: c.awaiting_reception_overdue,
            refused: c.refused,
            ..Counts::default()
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// For random histories, every period's report from the buckets equals the figures
        /// counted straight from the dossiers' states: in spring, and across a new year.
        #[test]
        fn reports_equal_a_recount_from_the_dossiers(
            base in proptest::sample::select(vec!["2026-03-01", "2026-12-10"]),
            dossiers in proptest::collection::vec(
                (
                    proptest::bool::ANY,
                    0u32..(20 * 24 * 60),
                    proptest::collection::vec((0usize..16, 0u32..(3 * 24 * 60)), 0..12),
                ),
                1..8,
            ),
            first in 0u64..40,
            length in 0u64..40,
        ) {
            let lives: Vec<Life> = dossiers
                .iter()
                .map(|(online, start, steps)| live(base, *online, *start, steps))
                .collect();
            let tallies: Vec<Tally> = lives.iter().map(|l| Tally::of(&l.record(), TZ)).collect();
            let from = d(base) + chrono::Days::new(first);
            let to = from + chrono::Days::new(length);
            let report = comparable(report(&tallies, &from.to_string(), &to.to_string()));
            proptest::prop_assert_eq!(report, recount(&lives, from, to));
            proptest::prop_assert!(report.identity_holds());
        }
    }
}
