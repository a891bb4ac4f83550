//! Report aggregates: each dossier's tally and the per-unit, per-procedure buckets of counts (by
//! day, by month, all time, and for all procedures together by pentad, decade and year; each
//! procedure's also over all units) that reports read instead of the dossiers table.
//!
//! [`track`] runs inside every write transaction that changes what a dossier counts for (intake,
//! actions, payments, digitization, ratings): it computes the dossier's tally from the stored
//! rows, and appends what retracting the tally kept from its last change and adding the new one
//! does to each bucket (`report_deltas`, one statement, no index touched). [`merge`], run by
//! every server in the background (`crate::merger`), moves the deltas into their buckets (and
//! into each procedure's buckets over all units, `tally::ALL_UNITS`); every read sums the
//! buckets and the deltas not merged yet, so a change counts the moment it commits. (Updating
//! the buckets in place on every change made each update of an all-procedures bucket rewrite
//! its entry of the covering index the unit reports read.)
//! [`rebuild`] recomputes everything from the raw dossiers; [`check`] compares the stored
//! buckets and deltas with that recomputation without writing.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Text};

use crate::db::schema::{
    documents, dossier_components, dossier_fees, dossier_payments, dossier_ratings,
    dossier_tallies, dossiers, report_buckets, report_deltas,
};
use crate::db::{self, DbConn};
use crate::domain::documents::DocumentKind;
use crate::domain::fees::PaymentMethod;
use crate::domain::rating::Satisfaction;
use crate::domain::tally::{
    self, day_key, key_day, Delta, Metrics, Part, Present, Record, Span, Sums, Tally, TOTAL,
};
use crate::domain::timeliness::Timeliness;
use crate::id::Id;

use super::dossiers::Dossier;

/// A row of a table of bucket counts (`$table`): its key and every metric.
macro_rules! row_struct {
    ($name:ident, $table:ident, $doc:literal; $($m:ident),+) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Queryable, Selectable, Insertable)]
        #[diesel(table_name = $table, treat_none_as_default_value = false)]
        struct $name {
            unit_id: Id,
            procedure_id: Id,
            period: i32,
            $($m: i64,)+
        }

        impl $name {
            fn of(d: &Delta) -> $name {
                $name {
                    unit_id: d.unit,
                    procedure_id: d.procedure,
                    period: d.period,
                    $($m: d.metrics.$m,)+
                }
            }

            fn metrics(&self) -> Metrics {
                Metrics { $($m: self.$m,)+ }
            }
        }
    };
}

macro_rules! bucket_row {
    ($($m:ident),+) => {
        row_struct!(BucketRow, report_buckets, "A bucket as stored."; $($m),+);
    };
}

macro_rules! delta_row {
    ($($m:ident),+) => {
        row_struct!(DeltaRow, report_deltas, "A change not merged into its bucket yet."; $($m),+);
    };
}

crate::with_metric_names!(bucket_row);
crate::with_metric_names!(delta_row);

/// `BigInt`, whatever the metric.
macro_rules! big_int {
    ($m:ident) => {
        BigInt
    };
}

macro_rules! bucket_code {
    ($($m:ident),+) => {
        /// One group's buckets or deltas of one part of a report's plan (see
        /// `sums_in_snapshot`), summed with their signs, read by position: by name, each of
        /// its 26 fields was a search of the columns' names (13% of the server's time in an
        /// all-units report).
        #[derive(Debug, Queryable)]
        struct SumRow {
            key: Id,
            part: i32,
            $($m: i64,)+
        }

        /// The SQL types of a [`SumRow`]'s columns, in order.
        type SumRowSql = (Binary, Integer, $(big_int!($m)),+);

        impl SumRow {
            fn metrics(&self) -> Metrics {
                Metrics { $($m: self.$m,)+ }
            }
        }

    };
}

crate::with_metric_names!(bucket_code);

/// A dossier's tally as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = dossier_tallies,
    primary_key(dossier_id),
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
struct TallyRow {
    dossier_id: Id,
    receiving_unit_id: Id,
    processing_unit_id: Id,
    procedure_id: Id,
    online: bool,
    submitted_on: Option<i32>,
    reception_late_on: Option<i32>,
    received_on: Option<i32>,
    refused_on: Option<i32>,
    finished_on: Option<i32>,
    left_on: Option<i32>,
    timeliness: Option<String>,
    overdue_on: Option<i32>,
    processing_seconds: i64,
    reused: bool,
    digitized: bool,
    results_issued: i32,
    results_on: Option<i32>,
    with_fee: bool,
    paid_online: bool,
    discount_vnd: i64,
    rating: Option<String>,
    rated_on: Option<i32>,
}

fn key(day: Option<NaiveDate>) -> Option<i32> {
    day.map(day_key)
}

fn day(key: Option<i32>) -> Option<NaiveDate> {
    key.and_then(key_day)
}

impl TallyRow {
    fn of(dossier: Id, t: &Tally) -> TallyRow {
        TallyRow {
            dossier_id: dossier,
            receiving_unit_id: t.receiving_unit,
            processing_unit_id: t.processing_unit,
            procedure_id: t.procedure,
            online: t.online,
            submitted_on: key(t.submitted_on),
            reception_late_on: key(t.reception_late_on),
            received_on: key(t.received_on),
            refused_on: key(t.refused_on),
            finished_on: key(t.finished.map(|(d, _)| d)),
            left_on: key(t.left_on),
            timeliness: t.finished.map(|(_, how)| how.as_str().to_string()),
            overdue_on: key(t.overdue_on),
            processing_seconds: t.processing_seconds,
            reused: t.reused,
            digitized: t.digitized,
            results_issued: t.results_issued,
            results_on: key(t.results_on),
            with_fee: t.with_fee,
            paid_online: t.paid_online,
            discount_vnd: t.discount_vnd,
            rating: t.rating.map(|(s, _)| s.as_str().to_string()),
            rated_on: key(t.rating.map(|(_, d)| d)),
        }
    }

    fn tally(&self) -> Tally {
        let finished = day(self.finished_on).zip(
            self.timeliness
                .as_deref()
                .and_then(Timeliness::parse)
                .or(Some(Timeliness::Late)),
        );
        Tally {
            receiving_unit: self.receiving_unit_id,
            processing_unit: self.processing_unit_id,
            procedure: self.procedure_id,
            online: self.online,
            submitted_on: day(self.submitted_on),
            reception_late_on: day(self.reception_late_on),
            left_on: day(self.left_on),
            received_on: day(self.received_on),
            refused_on: day(self.refused_on),
            finished,
            overdue_on: day(self.overdue_on),
            processing_seconds: self.processing_seconds,
            reused: self.reused,
            digitized: self.digitized,
            results_issued: self.results_issued,
            results_on: day(self.results_on),
            with_fee: self.with_fee,
            paid_online: self.paid_online,
            discount_vnd: self.discount_vnd,
            rating: self
                .rating
                .as_deref()
                .and_then(Satisfaction::parse)
                .zip(day(self.rated_on)),
        }
    }
}

/// What the reports need of a dossier besides its row (see [`Record`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extras {
    pub reused: bool,
    pub digitized: bool,
    pub results_issued: i32,
    pub first_result_at: Option<chrono::DateTime<chrono::Utc>>,
    pub charged_vnd: i64,
    pub base_vnd: i64,
    pub paid_online: bool,
    pub rating: Option<(Satisfaction, chrono::DateTime<chrono::Utc>)>,
}

/// A dossier's [`Record`] from its row and the rest.
pub fn record_of(d: &Dossier, x: Extras) -> Record {
    let utc = |t: Option<NaiveDateTime>| t.map(|t| t.and_utc());
    Record {
        receiving_unit: d.receiving_unit_id,
        processing_unit: d.processing_unit_id,
        procedure: d.procedure_id,
        channel: d.channel(),
        status: d.status(),
        submitted_at: utc(d.submitted_at),
        reception_due_at: utc(d.reception_due_at),
        received_at: utc(d.received_at),
        due_at: utc(d.due_at),
        finished_at: utc(d.finished_at),
        overdue_at: utc(d.overdue_at),
        supplement_requests: d.supplement_requests,
        processing_seconds: d.processing_seconds,
        reused: x.reused,
        digitized: x.digitized,
        results_issued: x.results_issued,
        first_result_at: x.first_result_at,
        charged_vnd: x.charged_vnd,
        base_vnd: x.base_vnd,
        paid_online: x.paid_online,
        rating: x.rating,
    }
}

/// What the reports need of each dossier, gathered in a few queries for the whole batch: the
/// components and fees of received dossiers, the documents and ratings of finished ones.
pub fn records(conn: &mut DbConn, batch: &[Dossier]) -> QueryResult<Vec<Record>> {
    let received: Vec<Id> = batch
        .iter()
        .filter(|d| d.received_at.is_some())
        .map(|d| d.id)
        .collect();
    let finished: Vec<Id> = batch
        .iter()
        .filter(|d| d.received_at.is_some() && d.finished_at.is_some())
        .map(|d| d.id)
        .collect();
    let (mut components, mut fees, mut paid) = (Vec::new(), Vec::new(), Vec::new());
    if !received.is_empty() {
        components = dossier_components::table
            .filter(dossier_components::dossier_id.eq_any(received.clone()))
            .select((
                dossier_components::dossier_id,
                dossier_components::component_id,
                dossier_components::document_id,
            ))
            .load::<(Id, Id, Option<Id>)>(conn)?;
        fees = dossier_fees::table
            .filter(dossier_fees::dossier_id.eq_any(received.clone()))
            .select((
                dossier_fees::dossier_id,
                dossier_fees::base_amount,
                dossier_fees::charged_amount,
            ))
            .load::<(Id, i64, i64)>(conn)?;
        paid = dossier_payments::table
            .filter(dossier_payments::dossier_id.eq_any(received.clone()))
            .filter(dossier_payments::method.eq(PaymentMethod::Online.as_str()))
            .select(dossier_payments::dossier_id)
            .load::<Id>(conn)?;
    }
    let (mut docs, mut ratings) = (Vec::new(), Vec::new());
    if !finished.is_empty() {
        docs = documents::table
            .filter(documents::source_dossier_id.eq_any(finished.clone()))
            .select((
                documents::source_dossier_id,
                documents::kind,
                documents::source_component_id,
                documents::digitized_at,
            ))
            .load::<(Option<Id>, String, Option<Id>, NaiveDateTime)>(conn)?;
        ratings = dossier_ratings::table
            .filter(dossier_ratings::dossier_id.eq_any(finished.clone()))
            .select((
                dossier_ratings::dossier_id,
                dossier_ratings::rating,
                dossier_ratings::rated_at,
            ))
            .load::<(Id, String, NaiveDateTime)>(conn)?;
    }
    let result_kind = DocumentKind::Result.as_str();
    Ok(batch
        .iter()
        .map(|d| {
            let mine = || components.iter().filter(|c| c.0 == d.id);
            let scanned = |component: Id| {
                docs.iter().any(|(source, kind, comp, _)| {
                    *source == Some(d.id) && kind != result_kind && *comp == Some(component)
                })
            };
            let results: Vec<NaiveDateTime> = docs
                .iter()
                .filter(|(source, kind, _, _)| *source == Some(d.id) && kind == result_kind)
                .map(|(_, _, _, at)| *at)
                .collect();
            let all_digitized =
                mine().all(|(_, component, document)| document.is_some() || scanned(*component));
            let (base, charged) = fees
                .iter()
                .filter(|f| f.0 == d.id)
                .fold((0, 0), |(b, c), f| (b + f.1, c + f.2));
            record_of(
                d,
                Extras {
                    reused: mine().any(|(_, _, document)| document.is_some()),
                    digitized: all_digitized && !results.is_empty(),
                    results_issued: i32::try_from(results.len()).unwrap_or(i32::MAX),
                    first_result_at: results.iter().min().map(|t| t.and_utc()),
                    charged_vnd: charged,
                    base_vnd: base,
                    paid_online: paid.contains(&d.id),
                    rating: ratings
                        .iter()
                        .find(|r| r.0 == d.id)
                        .and_then(|(_, s, at)| Satisfaction::parse(s).map(|s| (s, at.and_utc()))),
                },
            )
        })
        .collect())
}

/// Brings the buckets up to date with a change that left the dossier's row as `dossier` is
/// (a payment, digitization, a rating), inside the caller's write transaction.
pub fn track(conn: &mut DbConn, dossier: &Dossier, tz: Tz) -> QueryResult<()> {
    track_change(conn, dossier, dossier, tz)
}

/// Brings the buckets up to date with an action that took the dossier's row from `before` to
/// `after`: the new tally replaces the one kept, inside the caller's write transaction.
///
/// A tally is kept from the dossier's receipt on. Before it, a dossier counts by its row alone
/// (the fee, reuse and results count only once received), so its tally follows from the row and
/// an online submission writes no tally.
pub fn track_change(
    conn: &mut DbConn,
    before: &Dossier,
    after: &Dossier,
    tz: Tz,
) -> QueryResult<()> {
    let kept: Option<TallyRow> = dossier_tallies::table
        .find(after.id)
        .select(TallyRow::as_select())
        .first(conn)
        .optional()?;
    let before_tally = match &kept {
        Some(row) => Some(row.tally()),
        None if before.received_at.is_none() => {
            Some(Tally::of(&record_of(before, Extras::default()), tz))
        }
        None => None,
    };
    let record = records(conn, std::slice::from_ref(after))?
        .pop()
        .expect("one record per dossier");
    write_tally(
        conn,
        after,
        before_tally,
        kept.is_some(),
        &Tally::of(&record, tz),
    )
}

/// For a dossier just inserted, with what it carries besides its row (its components and
/// frozen fee, known to the caller): no query but the writes.
pub fn track_new(conn: &mut DbConn, dossier: &Dossier, extras: Extras, tz: Tz) -> QueryResult<()> {
    let after = Tally::of(&record_of(dossier, extras), tz);
    write_tally(conn, dossier, None, false, &after)
}

/// For a dossier just inserted with all it carries (an import): reads what it carries.
pub fn track_inserted(conn: &mut DbConn, dossier: &Dossier, tz: Tz) -> QueryResult<()> {
    let record = records(conn, std::slice::from_ref(dossier))?
        .pop()
        .expect("one record per dossier");
    write_tally(conn, dossier, None, false, &Tally::of(&record, tz))
}

/// Appends a change's deltas, in one statement.
fn append_deltas(conn: &mut DbConn, rows: Vec<DeltaRow>) -> QueryResult<()> {
    fn array<const N: usize>(rows: Vec<DeltaRow>) -> QueryResult<[DeltaRow; N]> {
        rows.try_into().map_err(|_| diesel::result::Error::NotFound)
    }
    macro_rules! insert {
        ($c:expr, $values:expr) => {
            diesel::insert_into(report_deltas::table)
                .values($values)
                .execute($c)
        };
    }
    // A change's rows come in a few usual counts; as arrays they make statements the
    // connection prepares once (a `Vec` of rows is planned anew each time).
    macro_rules! sized {
        ($c:expr) => {
            match rows.len() {
                0 => Ok(0),
                8 => insert!($c, array::<8>(rows)?),
                16 => insert!($c, array::<16>(rows)?),
                _ => insert!($c, rows),
            }
        };
    }
    match conn {
        DbConn::Pg(c) => sized!(c)?,
        DbConn::Sqlite(c) => sized!(c)?,
    };
    Ok(())
}

/// Moves a dossier's counts from the tally `before` to `after` in the buckets, and keeps
/// `after` (updating the kept row, or inserting one once the dossier is received).
fn write_tally(
    conn: &mut DbConn,
    dossier: &Dossier,
    before: Option<Tally>,
    kept: bool,
    after: &Tally,
) -> QueryResult<()> {
    if before.as_ref() == Some(after) && (kept || dossier.received_at.is_none()) {
        return Ok(());
    }
    let rows = tally::deltas(before.as_ref(), Some(after))
        .iter()
        .map(DeltaRow::of)
        .collect();
    append_deltas(conn, rows)?;
    let row = TallyRow::of(dossier.id, after);
    if kept {
        diesel::update(dossier_tallies::table.find(dossier.id))
            .set(&row)
            .execute(conn)?;
    } else if dossier.received_at.is_some() {
        diesel::insert_into(dossier_tallies::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

/// [`track`] for a dossier known by id (ratings, digitization).
pub fn track_id(conn: &mut DbConn, dossier: Id, tz: Tz) -> QueryResult<()> {
    match super::dossiers::find(conn, dossier)? {
        Some(d) => track(conn, &d, tz),
        None => Ok(()),
    }
}

/// Moves the deltas appended so far into their buckets (summed by bucket, creating buckets as
/// needed), atomically: a report, which sums buckets and deltas in one statement, sees each
/// delta exactly once. Returns how many buckets it changed.
///
/// On PostgreSQL one statement deletes the deltas its snapshot sees and adds what it deleted,
/// so that deltas appended meanwhile wait for the next merge, and several servers may merge at
/// once (a delta is deleted once); it then vacuums the emptied table, so that appends reuse its
/// pages. On SQLite the merge holds the write lock, so nothing is appended meanwhile.
pub fn merge(conn: &mut DbConn) -> QueryResult<usize> {
    let pg = matches!(conn, DbConn::Pg(_));
    let (all_units, all_procedures) = (
        id_literal(pg, tally::ALL_UNITS),
        id_literal(pg, tally::ALL_PROCEDURES),
    );
    let columns = Metrics::NAMES.join(", ");
    let sums: Vec<String> = Metrics::NAMES.iter().map(|c| format!("SUM({c})")).collect();
    let sums = sums.join(", ");
    let set: Vec<String> = Metrics::NAMES
        .iter()
        .map(|c| format!("{c} = report_buckets.{c} + excluded.{c}"))
        .collect();
    // Each bucket's deltas, and each procedure's over all units (`tally::ALL_UNITS`).
    let add = |source: &str| {
        format!(
            "INSERT INTO report_buckets (unit_id, procedure_id, period, {columns}) \
             SELECT * FROM (\
             SELECT unit_id, procedure_id, period, {sums} FROM {source} \
             GROUP BY unit_id, procedure_id, period \
             UNION ALL SELECT {all_units}, procedure_id, period, {sums} FROM {source} \
             WHERE procedure_id <> {all_procedures} GROUP BY procedure_id, period\
             ) AS moved_sums WHERE true \
             ON CONFLICT (unit_id, period, procedure_id) DO UPDATE SET {}",
            set.join(", ")
        )
    };
    match conn {
        DbConn::Pg(c) => {
            let changed = diesel::sql_query(format!(
                "WITH moved AS (DELETE FROM report_deltas RETURNING *) {}",
                add("moved")
            ))
            .execute(c)?;
            if changed > 0 {
                diesel::sql_query("VACUUM (SKIP_LOCKED) report_deltas").execute(c)?;
            }
            Ok(changed)
        }
        DbConn::Sqlite(_) => db::write(conn, |conn| {
            let changed = diesel::sql_query(add("report_deltas")).execute(conn)?;
            diesel::delete(report_deltas::table).execute(conn)?;
            Ok(changed)
        }),
    }
}

/// Units whose buckets [`recompute`] holds in memory at once: some 9,000 buckets a unit at 10
/// million dossiers over 3,000 units, so a step holds about 300,000. (Recomputing every bucket
/// at once held 26 million, and ran out of memory at 19.7 GB.)
const UNITS_PER_STEP: usize = 32;

/// Dossiers read and tallied at once.
const DOSSIERS_PER_BATCH: usize = 500;

/// Whose buckets a step of [`recompute`] covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitRange {
    /// The units with ids from `low` (inclusive; `None`: from the first id after the nil one)
    /// to `high` (exclusive; `None`: to the end). The steps' ranges cover every id but the nil
    /// one, so that a stored bucket of no unit falls in one of them too.
    Ids { low: Option<Id>, high: Option<Id> },
    /// Each procedure's buckets over all units ([`tally::ALL_UNITS`], the nil id).
    AllUnits,
}

/// The rows of `$table` (`report_buckets` or `report_deltas`, as `$row`s) of a [`UnitRange`]'s
/// units; for [`UnitRange::AllUnits`], the buckets' rows of the nil unit and every delta (the
/// deltas roll up into them).
macro_rules! rows_of_range {
    ($conn:expr, $table:ident, $row:ty, $range:expr, $deltas:expr) => {{
        let mut query = $table::table.select(<$row>::as_select()).into_boxed();
        match $range {
            UnitRange::Ids { low, high } => {
                query = query.filter($table::unit_id.gt(tally::ALL_UNITS));
                if let Some(low) = low {
                    query = query.filter($table::unit_id.ge(low));
                }
                if let Some(high) = high {
                    query = query.filter($table::unit_id.lt(high));
                }
            }
            UnitRange::AllUnits if !$deltas => {
                query = query.filter($table::unit_id.eq(tally::ALL_UNITS));
            }
            UnitRange::AllUnits => {}
        }
        query.load::<$row>($conn)
    }};
}

impl UnitRange {
    fn holds(&self, unit: Id) -> bool {
        match *self {
            UnitRange::Ids { low, high } => {
                unit != tally::ALL_UNITS
                    && low.is_none_or(|low| unit >= low)
                    && high.is_none_or(|high| unit < high)
            }
            UnitRange::AllUnits => unit == tally::ALL_UNITS,
        }
    }

    /// The range's buckets as stored, with the deltas not merged yet added in (for the buckets
    /// over all units, every delta rolled up as [`merge`] rolls it).
    fn stored(self, conn: &mut DbConn) -> QueryResult<Buckets> {
        let buckets = rows_of_range!(conn, report_buckets, BucketRow, self, false)?;
        let deltas = rows_of_range!(conn, report_deltas, DeltaRow, self, true)?;
        let mut stored: Buckets = buckets
            .into_iter()
            .map(|row| ((row.unit_id, row.period, row.procedure_id), row.metrics()))
            .collect();
        let mut pending = Buckets::new();
        for row in deltas {
            pending
                .entry((row.unit_id, row.period, row.procedure_id))
                .or_default()
                .add_scaled(&row.metrics(), 1);
        }
        if self == UnitRange::AllUnits {
            let mut rolled = Buckets::new();
            roll_up_into(&mut rolled, &pending);
            pending = rolled;
        }
        for (key, m) in pending {
            stored.entry(key).or_default().add_scaled(&m, 1);
        }
        stored.retain(|_, m| !m.is_zero());
        Ok(stored)
    }
}

/// What [`recompute`] hands over as it goes.
trait Recomputed {
    /// The tallies of a batch of dossiers; each dossier comes once.
    fn tallies(&mut self, conn: &mut DbConn, tallies: Vec<(Id, Tally)>) -> QueryResult<()>;
    /// The non-zero buckets of a range of units; the ranges come once each and cover every id.
    fn buckets(&mut self, conn: &mut DbConn, units: UnitRange, buckets: Buckets)
        -> QueryResult<()>;
}

/// Recomputes every dossier's tally and every bucket from the raw rows, [`UNITS_PER_STEP`]
/// units at a time (the units in the order of their ids): a step reads the dossiers received or
/// processed at its units, in batches, and keeps the buckets of its units only; a dossier of
/// two steps' units is read in both, and its tally handed over in the step of its receiving
/// unit. The buckets over all units are summed from the steps' and come last. Returns the
/// number of dossiers.
fn recompute(conn: &mut DbConn, tz: Tz, to: &mut impl Recomputed) -> QueryResult<u64> {
    use crate::db::schema::units;
    let unit_ids: Vec<Id> = units::table
        .select(units::id)
        .order(units::id.asc())
        .load(conn)?;
    let steps: Vec<&[Id]> = unit_ids.chunks(UNITS_PER_STEP).collect();
    let mut all_units = Buckets::new();
    let mut count = 0u64;
    for i in 0..steps.len().max(1) {
        let step = steps.get(i).copied().unwrap_or_default();
        let range = UnitRange::Ids {
            low: step.first().copied().filter(|_| i > 0),
            high: steps.get(i + 1).map(|next| next[0]),
        };
        // Each index (unit, id) read alone, without the table.
        let mut ids: Vec<Id> = dossiers::table
            .filter(dossiers::receiving_unit_id.eq_any(step.to_vec()))
            .select(dossiers::id)
            .load(conn)?;
        ids.extend(
            dossiers::table
                .filter(dossiers::processing_unit_id.eq_any(step.to_vec()))
                .select(dossiers::id)
                .load::<Id>(conn)?,
        );
        ids.sort_unstable();
        ids.dedup();
        let mut buckets = Buckets::new();
        for batch in ids.chunks(DOSSIERS_PER_BATCH) {
            let page: Vec<Dossier> = dossiers::table
                .filter(dossiers::id.eq_any(batch.to_vec()))
                .select(Dossier::as_select())
                .load(conn)?;
            let mut tallies = Vec::new();
            for (record, d) in records(conn, &page)?.iter().zip(&page) {
                let t = Tally::of(record, tz);
                accumulate(&mut buckets, &t, |unit| range.holds(unit));
                if range.holds(d.receiving_unit_id) {
                    tallies.push((d.id, t));
                }
            }
            count += tallies.len() as u64;
            to.tallies(conn, tallies)?;
        }
        buckets.retain(|_, m| !m.is_zero());
        roll_up_into(&mut all_units, &buckets);
        to.buckets(conn, range, buckets)?;
    }
    all_units.retain(|_, m| !m.is_zero());
    to.buckets(conn, UnitRange::AllUnits, all_units)?;
    Ok(count)
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    pub dossiers: u64,
    pub buckets: u64,
}

/// Throws the aggregates away and recomputes them from the raw dossiers, in one transaction.
pub fn rebuild(conn: &mut DbConn, tz: Tz) -> QueryResult<Rebuilt> {
    struct Rebuild {
        buckets: u64,
    }
    impl Recomputed for Rebuild {
        fn tallies(&mut self, conn: &mut DbConn, tallies: Vec<(Id, Tally)>) -> QueryResult<()> {
            insert_tallies(conn, &tallies)
        }
        fn buckets(
            &mut self,
            conn: &mut DbConn,
            _: UnitRange,
            buckets: Buckets,
        ) -> QueryResult<()> {
            self.buckets += buckets.len() as u64;
            insert_buckets(conn, &buckets)
        }
    }
    db::write(conn, |conn| {
        diesel::delete(report_buckets::table).execute(conn)?;
        diesel::delete(report_deltas::table).execute(conn)?;
        diesel::delete(dossier_tallies::table).execute(conn)?;
        let mut rebuild = Rebuild { buckets: 0 };
        let dossiers = recompute(conn, tz, &mut rebuild)?;
        Ok(Rebuilt {
            dossiers,
            buckets: rebuild.buckets,
        })
    })
}

/// Bucket counts by (unit, period, procedure), as [`recompute`] and a bulk load build them.
pub type Buckets = BTreeMap<(Id, i32, Id), Metrics>;

/// Adds the deltas of a new tally to `buckets`, those of the units that `keep` holds (for loads
/// that compute tallies themselves).
pub fn accumulate(buckets: &mut Buckets, t: &Tally, keep: impl Fn(Id) -> bool) {
    for delta in tally::deltas(None, Some(t))
        .into_iter()
        .filter(|d| keep(d.unit))
    {
        buckets
            .entry((delta.unit, delta.period, delta.procedure))
            .or_default()
            .add_scaled(&delta.metrics, 1);
    }
}

/// Adds `from`'s buckets of each procedure at each unit to the procedure's over all units in
/// `into` (for loads that store the roll-up once, after every unit's buckets).
pub fn roll_up_into(into: &mut Buckets, from: &Buckets) {
    for ((unit, period, procedure), m) in from {
        if *procedure != tally::ALL_PROCEDURES && *unit != tally::ALL_UNITS {
            into.entry((tally::ALL_UNITS, *period, *procedure))
                .or_default()
                .add_scaled(m, 1);
        }
    }
}

/// Stores the tallies of dossiers that have none yet, in bulk.
pub fn insert_tallies(conn: &mut DbConn, tallies: &[(Id, Tally)]) -> QueryResult<()> {
    let rows: Vec<TallyRow> = tallies.iter().map(|(id, t)| TallyRow::of(*id, t)).collect();
    db::insert_all!(conn, dossier_tallies::table, rows)
}

/// Stores buckets that do not exist yet, in bulk.
pub fn insert_buckets(conn: &mut DbConn, buckets: &Buckets) -> QueryResult<()> {
    let rows: Vec<BucketRow> = buckets
        .iter()
        .filter(|(_, m)| !m.is_zero())
        .map(|((unit, period, procedure), metrics)| {
            BucketRow::of(&Delta {
                unit: *unit,
                procedure: *procedure,
                period: *period,
                metrics: *metrics,
            })
        })
        .collect();
    db::insert_all!(conn, report_buckets::table, rows)
}

/// A bucket whose stored counts differ from the recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub unit: Id,
    pub procedure: Id,
    pub period: i32,
    pub stored: Metrics,
    pub expected: Metrics,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub dossiers: u64,
    pub buckets: u64,
    /// Dossiers whose kept tally differs from their recomputed one.
    pub stale_tallies: u64,
    /// Buckets whose stored counts differ from the recomputation.
    pub differing: u64,
    /// The first [`MISMATCHES_KEPT`] of them.
    pub mismatches: Vec<Mismatch>,
}

/// How many differing buckets a check describes (it counts them all).
pub const MISMATCHES_KEPT: usize = 100;

/// Compares the stored aggregates with a recomputation from the raw dossiers, writing nothing,
/// in one snapshot of the database (so that writes going on meanwhile do not show as
/// differences; on PostgreSQL the snapshot holds back vacuum while it lasts).
pub fn check(conn: &mut DbConn, tz: Tz) -> QueryResult<Checked> {
    db::snapshot(conn, |conn| {
        let mut checked = Checked {
            dossiers: 0,
            buckets: 0,
            stale_tallies: 0,
            differing: 0,
            mismatches: Vec::new(),
        };
        checked.dossiers = recompute(conn, tz, &mut checked)?;
        Ok(checked)
    })
}

impl Recomputed for Checked {
    fn tallies(&mut self, conn: &mut DbConn, tallies: Vec<(Id, Tally)>) -> QueryResult<()> {
        let ids: Vec<Id> = tallies.iter().map(|(id, _)| *id).collect();
        let kept: HashMap<Id, Tally> = dossier_tallies::table
            .filter(dossier_tallies::dossier_id.eq_any(ids))
            .select(TallyRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|row| (row.dossier_id, row.tally()))
            .collect();
        // A dossier not received may have no kept tally: it follows from its row.
        self.stale_tallies += tallies
            .iter()
            .filter(|(id, t)| match kept.get(id) {
                Some(k) => k != t,
                None => t.received_on.is_some(),
            })
            .count() as u64;
        Ok(())
    }

    fn buckets(
        &mut self,
        conn: &mut DbConn,
        units: UnitRange,
        expected: Buckets,
    ) -> QueryResult<()> {
        let stored = units.stored(conn)?;
        self.buckets += expected.len() as u64;
        let keys: std::collections::BTreeSet<&(Id, i32, Id)> =
            stored.keys().chain(expected.keys()).collect();
        for k in keys {
            let (s, e) = (
                stored.get(k).copied().unwrap_or_default(),
                expected.get(k).copied().unwrap_or_default(),
            );
            if s != e {
                self.differing += 1;
                if self.mismatches.len() < MISMATCHES_KEPT {
                    self.mismatches.push(Mismatch {
                        unit: k.0,
                        procedure: k.2,
                        period: k.1,
                        stored: s,
                        expected: e,
                    });
                }
            }
        }
        Ok(())
    }
}

/// How report rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Unit,
    Procedure,
}

/// Which units' counts a report takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitFilter {
    All,
    One(Id),
    /// The subtree of the unit with this path.
    Subtree(String),
}

/// Runs a grouped report query (written with `?` placeholders) on either database, binding a
/// first value of SQL type `$ty`, then the unit filter's values.
macro_rules! load_filtered {
    ($conn:expr, $sql:expr, $filter:expr, $row:ty, $ty:ident, $first:expr) => {{
        macro_rules! run {
            ($c:expr, $text:expr) => {{
                let query = diesel::sql_query($text).bind::<diesel::sql_types::$ty, _>($first);
                match $filter {
                    UnitFilter::All => query.load::<$row>($c),
                    UnitFilter::One(unit) => query.bind::<Binary, _>(*unit).load::<$row>($c),
                    UnitFilter::Subtree(path) => {
                        let (low, high) = super::units::subtree_range(path);
                        query
                            .bind::<Text, _>(low)
                            .bind::<Text, _>(high)
                            .load::<$row>($c)
                    }
                }
            }};
        }
        match $conn {
            DbConn::Pg(c) => run!(c, numbered($sql))?,
            DbConn::Sqlite(c) => run!(c, $sql.to_string())?,
        }
    }};
}

/// Each group's bucket sums for the days `from..=to`: within the period, and up to its end (the
/// levels at its end).
///
/// One statement, read as [`tally::plan`] says. Each part of the plan (buckets only within the
/// period, only in the levels, in both alike, in both with opposite signs) is one aggregate by
/// group: a list of the part's spans of period keys, each an index range scan (for unit reports
/// of the buckets of all procedures together, on PostgreSQL an index-only scan of their covering
/// index; for procedure reports of every unit of each procedure's buckets over all units), every
/// bucket taken with its span's sign; and one scan of the deltas not merged yet. The values are
/// written into the SQL (ids as hex, unit paths checked to be hex and slashes), so that every
/// scan has them without binding each again.
///
/// (Unit reports were a scan per bucket key, joined by unit: the 14 keys per unit of a period
/// from mid-month to mid-month made a statement of 27 kB that took 10 ms to plan and 80–120
/// to run; the aggregate takes 40.)
///
/// It runs in one snapshot with the first and last months stored, from which the plan is
/// chosen: a month's first change merged between the two would count in the total and not in
/// its month.
pub fn sums(
    conn: &mut DbConn,
    by: Grouping,
    filter: &UnitFilter,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<HashMap<Id, Sums>> {
    db::snapshot(conn, |conn| sums_in_snapshot(conn, by, filter, from, to))
}

fn sums_in_snapshot(
    conn: &mut DbConn,
    by: Grouping,
    filter: &UnitFilter,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<HashMap<Id, Sums>> {
    let pg = matches!(conn, DbConn::Pg(_));
    let bytes = |id: Id| id_literal(pg, id);
    let key = match by {
        Grouping::Unit => "unit_id",
        Grouping::Procedure => "procedure_id",
    };
    // Unit reports read the buckets of all procedures together (which have pentads, decades
    // and years); procedure reports the others.
    let coarse = matches!(by, Grouping::Unit);
    let procedures = match by {
        Grouping::Unit => format!("procedure_id = {}", bytes(tally::ALL_PROCEDURES)),
        Grouping::Procedure => format!("procedure_id <> {}", bytes(tally::ALL_PROCEDURES)),
    };
    let units = match filter {
        UnitFilter::All => String::new(),
        UnitFilter::One(unit) => format!(" AND unit_id = {}", bytes(*unit)),
        UnitFilter::Subtree(path) => {
            if !path.bytes().all(|b| b == b'/' || b.is_ascii_hexdigit()) {
                return Err(diesel::result::Error::QueryBuilderError(
                    "a unit path is hex and slashes".into(),
                ));
            }
            let (low, high) = super::units::subtree_range(path);
            format!(
                " AND unit_id IN (SELECT id FROM units WHERE path >= '{low}' AND path < '{high}')"
            )
        }
    };
    // Procedure reports of every unit read each procedure's buckets over all units; the deltas
    // not merged yet have no such roll-up, and are read for every unit.
    let bucket_units = match (by, filter) {
        (Grouping::Procedure, UnitFilter::All) => {
            format!(" AND unit_id = {}", bytes(tally::ALL_UNITS))
        }
        _ => units.clone(),
    };
    let (Some(first), Some(last)) = months_stored(conn)? else {
        return Ok(HashMap::new());
    };
    // Each span of keys read, in the part of its weights, with its sign there.
    let mut parts: Vec<(Part, Span)> = Vec::new();
    for r in tally::plan(from, to, (first, last), coarse) {
        for (part, sign) in r.parts() {
            let span = Span {
                sign,
                low: r.low,
                high: r.high,
            };
            parts.push((part, span));
        }
    }
    if parts.is_empty() {
        return Ok(HashMap::new());
    }
    // Each part is one aggregate: its spans as a list of (low, high, sign), each an index
    // range scan, every bucket's counts taken with its span's sign and summed by group. The
    // levels need only their metrics.
    let mut by_part: BTreeMap<Part, Vec<Span>> = BTreeMap::new();
    for (part, span) in &parts {
        by_part.entry(*part).or_default().push(*span);
    }
    let mut selects: Vec<String> = by_part
        .iter()
        .map(|(part, spans)| {
            let read: &[&str] = match part {
                Part::Levels => &tally::LEVEL_METRICS,
                _ => Metrics::NAMES,
            };
            let list: Vec<String> = spans
                .iter()
                .map(|s| format!("({}, {}, {})", s.low, s.high, s.sign))
                .collect();
            format!(
                "SELECT {key} AS key, {} AS part, {} FROM report_buckets \
                 JOIN (VALUES {}) AS s ON period BETWEEN s.column1 AND s.column2 \
                 WHERE {procedures}{bucket_units} GROUP BY {key}",
                *part as i32,
                select_list(read, &signed_sum),
                list.join(", ")
            )
        })
        .collect();
    // The deltas not merged yet, of every part: one scan of a small table.
    let list: Vec<String> = parts
        .iter()
        .map(|(part, s)| format!("({}, {}, {}, {})", s.low, s.high, s.sign, *part as i32))
        .collect();
    selects.push(format!(
        "SELECT {key} AS key, s.column4 AS part, {} FROM report_deltas \
         JOIN (VALUES {}) AS s ON period BETWEEN s.column1 AND s.column2 \
         WHERE {procedures}{units} GROUP BY {key}, s.column4",
        select_list(Metrics::NAMES, &signed_sum),
        list.join(", ")
    ));
    let sql = selects.join(" UNION ALL ");
    // Rows by position: the statement as a select list (`key, part, … FROM … UNION ALL …`).
    let query = || {
        let list = sql.strip_prefix("SELECT ").unwrap_or(&sql).to_string();
        diesel::select(diesel::dsl::sql::<SumRowSql>(&list))
    };
    // Each row is added as it is read: the rows of an all-units report are megabytes, which a
    // vector would copy as it grows. A group has a row in up to every part.
    let mut out: HashMap<Id, Sums> = HashMap::new();
    match conn {
        DbConn::Pg(c) => {
            let rows = query().load_iter::<SumRow, DefaultLoadingMode>(c)?;
            out.reserve(rows.size_hint().0 / selects.len());
            for row in rows {
                add_sum_row(&mut out, row?)?;
            }
        }
        DbConn::Sqlite(c) => {
            for row in query().load_iter::<SumRow, DefaultLoadingMode>(c)? {
                add_sum_row(&mut out, row?)?;
            }
        }
    }
    Ok(out)
}

/// Adds a row of a part's sums to its group's, with the part's weights.
fn add_sum_row(out: &mut HashMap<Id, Sums>, row: SumRow) -> QueryResult<()> {
    let part = usize::try_from(row.part)
        .ok()
        .and_then(|i| Part::ALL.get(i));
    let Some((within, at_end)) = part.map(|p| p.weights()) else {
        return Err(diesel::result::Error::DeserializationError(
            format!("no part {}", row.part).into(),
        ));
    };
    let sums = out.entry(row.key).or_default();
    let m = row.metrics();
    sums.within.add_scaled(&m, within);
    sums.at_end.add_scaled(&m, at_end);
    Ok(())
}

/// The select list of every metric: `read`'s as `each` makes them, the others zero.
fn select_list(read: &[&str], each: &dyn Fn(&str) -> String) -> String {
    Metrics::NAMES
        .iter()
        .map(|c| match read.contains(c) {
            true => each(c),
            false => format!("CAST(0 AS BIGINT) AS {c}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sum of metric `c` over a part's buckets, each taken with its span's sign
/// (`s.column3`). A bucket's count is summed as a 4-byte integer: PostgreSQL sums those into a
/// `bigint` kept in place, where a sum of `bigint`s keeps a 128-bit state allocated per group
/// (all units × 335 days: 40 ms against 60–90). Counts of dossiers fit; the seconds of
/// processing and the VND of discounts of a unit's year may not, and keep the wide sum.
fn signed_sum(c: &str) -> String {
    match c {
        "processing_seconds" | "discount_vnd" => {
            format!("CAST(SUM({c} * s.column3) AS BIGINT) AS {c}")
        }
        _ => format!("SUM(CAST({c} * s.column3 AS INTEGER)) AS {c}"),
    }
}

/// The first and last month with all-procedures counts, in the buckets or the deltas (one
/// statement: each an index's first or last entry, or a scan of the few deltas).
fn months_stored(conn: &mut DbConn) -> QueryResult<(Option<i32>, Option<i32>)> {
    #[derive(QueryableByName)]
    struct Months {
        #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
        first: Option<i32>,
        #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
        last: Option<i32>,
        #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
        first_delta: Option<i32>,
        #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
        last_delta: Option<i32>,
    }
    let all = id_literal(matches!(conn, DbConn::Pg(_)), tally::ALL_PROCEDURES);
    let pick = |f: &str, table: &str| {
        format!(
            "(SELECT {f}(period) FROM {table} WHERE procedure_id = {all} \
             AND period BETWEEN 100001 AND 999912)"
        )
    };
    let sql = format!(
        "SELECT {} AS first, {} AS last, {} AS first_delta, {} AS last_delta",
        pick("MIN", "report_buckets"),
        pick("MAX", "report_buckets"),
        pick("MIN", "report_deltas"),
        pick("MAX", "report_deltas")
    );
    let m: Months = match conn {
        DbConn::Pg(c) => diesel::sql_query(sql).get_result(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(sql).get_result(c)?,
    };
    let either = |x: Option<i32>, y: Option<i32>, choose: fn(i32, i32) -> i32| match (x, y) {
        (Some(x), Some(y)) => Some(choose(x, y)),
        (x, y) => x.or(y),
    };
    Ok((
        either(m.first, m.first_delta, i32::min),
        either(m.last, m.last_delta, i32::max),
    ))
}

/// An id as an SQL literal of the database's bytes type.
fn id_literal(pg: bool, id: Id) -> String {
    let hex = hex::encode(id.0.as_bytes());
    if pg {
        format!("'\\x{hex}'::bytea")
    } else {
        format!("X'{hex}'")
    }
}

/// `?` placeholders as PostgreSQL's `$1`, `$2`, …
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Debug, QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Binary)]
    key: Id,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Each group's open dossiers judged at `now`: overdue ones (from the index on open dossiers'
/// `overdue_at`) and online ones awaiting reception past their limit.
pub fn present(
    conn: &mut DbConn,
    by: Grouping,
    filter: &UnitFilter,
    now: NaiveDateTime,
) -> QueryResult<HashMap<Id, Present>> {
    let grouped = |unit_column: &str, condition: &str| {
        let key = match by {
            Grouping::Unit => unit_column,
            Grouping::Procedure => "procedure_id",
        };
        let units = match filter {
            UnitFilter::All => String::new(),
            UnitFilter::One(_) => format!(" AND {unit_column} = ?"),
            UnitFilter::Subtree(_) => {
                format!(" AND {unit_column} IN (SELECT id FROM units WHERE path >= ? AND path < ?)")
            }
        };
        format!(
            "SELECT {key} AS key, COUNT(*) AS n FROM dossiers WHERE {condition} AND ? > {}{units} GROUP BY {key}",
            if unit_column == "processing_unit_id" { "overdue_at" } else { "reception_due_at" }
        )
    };
    let overdue_sql = grouped(
        "processing_unit_id",
        "received_at IS NOT NULL AND finished_at IS NULL",
    );
    let late_sql = grouped(
        "receiving_unit_id",
        "received_at IS NULL AND finished_at IS NULL",
    );
    let overdue: Vec<CountRow> =
        load_filtered!(conn, &overdue_sql, filter, CountRow, Timestamp, now);
    let late: Vec<CountRow> = load_filtered!(conn, &late_sql, filter, CountRow, Timestamp, now);
    let mut out: HashMap<Id, Present> = HashMap::new();
    for row in overdue {
        out.entry(row.key).or_default().overdue = row.n;
    }
    for row in late {
        out.entry(row.key).or_default().awaiting_late = row.n;
    }
    Ok(out)
}

/// One unit's dossiers for `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTotals {
    pub code: String,
    /// Received (at it as the processing unit) and finished, all time.
    pub received: i64,
    pub finished: i64,
    /// Open dossiers overdue now.
    pub overdue: i64,
}

/// Every unit's totals: its all-procedures total bucket and its open dossiers overdue at
/// `now`, in code order.
pub fn unit_totals(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<UnitTotals>> {
    use crate::db::schema::units;
    let codes: Vec<(Id, String)> = units::table
        .select((units::id, units::code))
        .order(units::code.asc())
        .load(conn)?;
    // Each unit's all-time bucket and its deltas not merged yet, as of one moment.
    macro_rules! totals {
        ($conn:expr, $t:ident) => {
            $t::table
                .filter($t::procedure_id.eq(tally::ALL_PROCEDURES))
                .filter($t::period.eq(TOTAL))
                .select((
                    $t::unit_id,
                    $t::received_online + $t::received_desk,
                    $t::finished_early + $t::finished_on_time + $t::finished_late,
                ))
                .load::<(Id, i64, i64)>($conn)?
        };
    }
    let rows = db::snapshot(conn, |conn| {
        let mut rows = totals!(conn, report_buckets);
        rows.extend(totals!(conn, report_deltas));
        Ok(rows)
    })?;
    let mut totals: HashMap<Id, (i64, i64)> = HashMap::new();
    for (unit, received, finished) in rows {
        let total = totals.entry(unit).or_default();
        total.0 += received;
        total.1 += finished;
    }
    let present = present(conn, Grouping::Unit, &UnitFilter::All, now)?;
    Ok(codes
        .into_iter()
        .map(|(id, code)| {
            let (received, finished) = totals.get(&id).copied().unwrap_or_default();
            UnitTotals {
                code,
                received,
                finished,
                overdue: present.get(&id).map_or(0, |p| p.overdue),
            }
        })
        .collect())
}
