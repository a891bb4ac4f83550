//! Reports (DOMAIN.md §10): the periodic report per unit, procedure and field, monthly series,
//! and the Decision 766 indicators, all read from the aggregates kept by `store::reports`.
//! Supervisors and administrators read any unit's; a leader their unit's and those below it.

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::export::{self, Builder, Download, Format, Lang, Table};
use crate::auth::{policy, Principal};
use crate::db::{self, DbConn};
use crate::domain::accounts::Role;
use crate::domain::calendar::TimeUnit;
use crate::domain::indicators::{self, Counts};
use crate::domain::tally;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::reports::{Grouping, UnitFilter};
use crate::store::units::Label;

/// The longest period a report covers, in days (two years).
pub const MAX_PERIOD_DAYS: i64 = 731;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(unit_report)
        .service(procedure_report)
        .service(field_report)
        .service(series)
        .service(indicator_report);
}

/// A reporting period and the units it covers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// The period's first day (local date), `YYYY-MM-DD`.
    pub from: NaiveDate,
    /// The period's last day, included; at most two years after `from`.
    pub to: NaiveDate,
    /// The unit reported on; by default every unit (supervisors, administrators) or the
    /// leader's own unit.
    pub unit: Option<Id>,
    /// Include every unit below `unit`.
    #[serde(default)]
    pub subtree: bool,
    /// `json` (the default), `csv` or `xlsx`; without it, the `Accept` header chooses
    /// (`text/csv`, or the XLSX media type), else JSON.
    #[param(inline)]
    pub format: Option<Format>,
    /// The language of a download's column headers: `en` (the default: the JSON field names)
    /// or `vi`.
    #[param(inline)]
    pub lang: Option<Lang>,
}

/// The figures of one row: the periodic report's counts and the rates derived from them.
/// Rates are percents with two decimals; null means "not applicable" (a zero denominator).
#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    /// Open at the period's start.
    pub carried_over: u64,
    pub received_online: u64,
    /// Received in person or by post.
    pub received_desk: u64,
    pub received: u64,
    pub finished_early: u64,
    pub finished_on_time: u64,
    pub finished_late: u64,
    pub finished: u64,
    /// Open at the period's end (or now, for a period not ended), in time.
    pub open_in_time: u64,
    pub open_overdue: u64,
    pub open: u64,
    /// Online dossiers not yet received (counted at the receiving unit).
    pub awaiting_reception: u64,
    /// Of those, waiting past the 8-working-hour limit.
    pub awaiting_reception_overdue: u64,
    /// Refused at reception in the period (receiving unit).
    pub refused: u64,
    /// Received at this unit's desk online in the period (receiving unit).
    pub intake_online: u64,
    /// Recorded at this unit's desk in person or by post (receiving unit).
    pub intake_desk: u64,
    /// Finished dossiers whose components are all digitized and which have an electronic result.
    pub digitized_with_result: u64,
    /// Received dossiers that reused a document of the applicant's store.
    pub reused: u64,
    pub results_issued: u64,
    /// Received dossiers with a non-zero fee.
    pub with_fee: u64,
    pub paid_online: u64,
    /// Fee discount granted to the dossiers received, VND.
    pub discount_vnd: u64,
    pub satisfied: u64,
    pub normal: u64,
    pub dissatisfied: u64,
    /// received online / received.
    pub online_ratio: Option<f64>,
    /// (early + on time + open in time) / (carried over + received).
    pub on_time_rate: Option<f64>,
    /// (late + open overdue) / (carried over + received).
    pub late_rate: Option<f64>,
    /// digitized with a result / finished.
    pub digitization_ratio: Option<f64>,
    /// reused / received.
    pub reuse_ratio: Option<f64>,
    /// results issued / finished.
    pub electronic_results_ratio: Option<f64>,
    /// paid online / with a fee.
    pub online_payment_ratio: Option<f64>,
    /// 100% − (late rate + dissatisfied ratings rate).
    pub satisfaction: Option<f64>,
}

impl Figures {
    pub fn of(c: &Counts) -> Figures {
        Figures {
            carried_over: c.carried_over,
            received_online: c.received_online,
            received_desk: c.received_desk,
            received: c.received(),
            finished_early: c.finished_early,
            finished_on_time: c.finished_on_time,
            finished_late: c.finished_late,
            finished: c.finished(),
            open_in_time: c.open_in_time,
            open_overdue: c.open_overdue,
            open: c.open(),
            awaiting_reception: c.awaiting_reception,
            awaiting_reception_overdue: c.awaiting_reception_overdue,
            refused: c.refused,
            intake_online: c.intake_online,
            intake_desk: c.intake_desk,
            digitized_with_result: c.digitized_with_result,
            reused: c.reused,
            results_issued: c.results_issued,
            with_fee: c.with_fee,
            paid_online: c.paid_online,
            discount_vnd: c.discount_vnd,
            satisfied: c.satisfied,
            normal: c.normal,
            dissatisfied: c.dissatisfied,
            online_ratio: c.online_ratio().percent(),
            on_time_rate: c.on_time_rate().percent(),
            late_rate: c.late_rate().percent(),
            digitization_ratio: c.digitization_ratio().percent(),
            reuse_ratio: c.reuse_ratio().percent(),
            electronic_results_ratio: c.electronic_results_ratio().percent(),
            online_payment_ratio: c.online_payment_ratio().percent(),
            satisfaction: c.satisfaction(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRow {
    pub unit_id: Id,
    pub unit_code: String,
    pub unit_name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// When open dossiers were judged: at the period's end, or now for a period not yet ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub judged_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitReport {
    #[serde(flatten)]
    pub period: Period,
    /// One row per unit, each with its own dossiers only.
    pub rows: Vec<UnitRow>,
    /// The sum of the rows.
    pub total: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureRow {
    pub procedure_code: String,
    pub procedure_name: String,
    pub field: String,
    /// The procedure's own unit of processing time.
    pub time_unit: TimeUnit,
    /// The average processing time of the dossiers finished in the period, in `time_unit`, two
    /// decimals; null when none finished.
    pub average_processing_time: Option<f64>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureReport {
    #[serde(flatten)]
    pub period: Period,
    /// One row per procedure code (all its versions) with dossiers in the period or open.
    pub rows: Vec<ProcedureRow>,
    pub total: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldRow {
    pub field: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldReport {
    #[serde(flatten)]
    pub period: Period,
    pub rows: Vec<FieldRow>,
    pub total: Figures,
}

/// Validates the period.
fn period(q: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), ApiError> {
    check_period(q.from, q.to)
}

/// A report's period, `from` to `to` included: 422 when it ends before it starts, covers more
/// than [`MAX_PERIOD_DAYS`], or falls outside the years 1000 to 9999 (the bucket keys of
/// pentads, days, decades, months and years are told apart by their number of digits; a
/// query's dates have four-digit years).
pub fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let q = (from, to);
    for (field, day) in [("from", from), ("to", to)] {
        if !(1000..=9999).contains(&day.year()) {
            return Err(ApiError::invalid_field(
                field,
                "out_of_range",
                "a report covers days of the years 1000 to 9999",
            ));
        }
    }
    if q.1 < q.0 {
        return Err(ApiError::invalid_field(
            "to",
            "before_from",
            "the period ends before it starts",
        ));
    }
    if (q.1 - q.0).num_days() >= MAX_PERIOD_DAYS {
        return Err(ApiError::invalid_field(
            "to",
            "period_too_long",
            format!("a report covers at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    Ok(q)
}

/// What a report covers and who asks: the caller, the unit (by default every unit for
/// supervisors and administrators, the caller's own unit for others), whether its subtree too,
/// and the (checked) period. The report endpoints and `/dashboard` compute from it alike.
#[derive(Debug, Clone)]
pub struct Scope {
    pub who: Principal,
    pub unit: Option<Id>,
    pub subtree: bool,
    pub dates: (NaiveDate, NaiveDate),
    pub tz: chrono_tz::Tz,
    /// The most units a report lists.
    pub unit_limit: i64,
}

impl Scope {
    /// The scope of a request by `who`; 422 for a bad period.
    pub fn new(
        state: &AppState,
        who: Principal,
        unit: Option<Id>,
        subtree: bool,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<Scope, ApiError> {
        Ok(Scope {
            who,
            unit,
            subtree,
            dates: check_period(from, to)?,
            tz: state.config.time_zone,
            unit_limit: unit_limit(state),
        })
    }

    /// The filter on the aggregates of the units this scope covers, once its caller may read
    /// them ([`coverage`]).
    fn coverage(&self, conn: &mut DbConn) -> Result<UnitFilter, ApiError> {
        coverage(conn, &self.who, self.unit, self.subtree)
    }
}

/// The filter on the aggregates of the units a report covers, once the caller is allowed to
/// read them.
fn coverage(
    conn: &mut DbConn,
    who: &Principal,
    unit: Option<Id>,
    subtree: bool,
) -> Result<UnitFilter, ApiError> {
    let unit = match (unit, who.role) {
        (Some(unit), _) => Some(unit),
        (None, Role::Admin | Role::Supervisor) => None,
        (None, _) => who.unit_id,
    };
    let Some(unit) = unit else {
        if !matches!(who.role, Role::Admin | Role::Supervisor) {
            return Err(ApiError::forbidden());
        }
        return Ok(UnitFilter::All);
    };
    let root = store::units::find(conn, unit)?.ok_or_else(|| ApiError::not_found("Unit"))?;
    if !policy::may_read_reports(conn, who, root.id)? {
        return Err(ApiError::forbidden());
    }
    Ok(if subtree {
        UnitFilter::Subtree(root.path)
    } else {
        UnitFilter::One(root.id)
    })
}

/// The units of `filter` a report lists, in path order, at most `limit` of them.
fn listed(conn: &mut DbConn, filter: &UnitFilter, limit: i64) -> Result<Vec<Label>, ApiError> {
    Ok(match filter {
        UnitFilter::All => store::units::subtree(conn, "/", limit)?,
        UnitFilter::Subtree(path) => store::units::subtree(conn, path, limit)?,
        UnitFilter::One(id) => store::units::find(conn, *id)?
            .map(Label::from)
            .into_iter()
            .collect(),
    })
}

/// The counts of each group over the period. A period that has not ended judges its open
/// dossiers now; one that has, at its end.
fn counts_by(
    conn: &mut DbConn,
    by: Grouping,
    filter: &UnitFilter,
    (from, to): (NaiveDate, NaiveDate),
    tz: chrono_tz::Tz,
) -> Result<(HashMap<Id, Counts>, DateTime<Utc>), ApiError> {
    let now = db::now();
    let today = now.and_utc().with_timezone(&tz).date_naive();
    let sums = store::reports::sums(conn, by, filter, from, to)?;
    let (present, judged_at) = if to >= today {
        (
            Some(store::reports::present(conn, by, filter, now)?),
            now.and_utc(),
        )
    } else {
        let end = to
            .succ_opt()
            .unwrap_or(to)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        let judged = end
            .and_local_timezone(tz)
            .earliest()
            .map_or(now.and_utc(), |t| t.with_timezone(&Utc));
        (None, judged)
    };
    let counts = sums
        .iter()
        .map(|(key, s)| {
            let now = present
                .as_ref()
                .map(|p| p.get(key).copied().unwrap_or_default());
            (*key, tally::counts(s, now))
        })
        .collect();
    Ok((counts, judged_at))
}

/// `seconds / finished` in units of `per` seconds, two decimals; `None` when none finished.
fn average(seconds: u64, finished: u64, per: i64) -> Option<f64> {
    (finished > 0 && per > 0)
        .then(|| (seconds as f64 / (finished as f64 * per as f64) * 100.0).round() / 100.0)
}

fn unit_limit(state: &AppState) -> i64 {
    state.config.limits.max_page_size * 50
}

/// The periodic report per unit: one row per unit and a total.
#[utoipa::path(
    tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The report: JSON, or a CSV or XLSX download with format=csv|xlsx", content(
            (UnitReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "Invalid query parameters, e.g. an unknown format"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not allowed to read this unit's reports"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "A period that ends before it starts or is too long"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/units")]
async fn unit_report(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<PeriodQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (format, lang) = (Format::choose(q.format, &req), q.lang.unwrap_or_default());
    let scope = Scope::new(&state, who, q.unit, q.subtree, (q.from, q.to))?;
    let rendered = state
        .report(move |conn| {
            let report = compute_units(conn, &scope)?;
            let download = Download::of("units", scope.dates);
            let rows = report.rows.len();
            export::render(format, &report, rows, download, || {
                unit_table(&report, lang)
            })
        })
        .await?;
    Ok(rendered.response())
}

/// The periodic report per unit of `scope`: a row per unit (its own dossiers) and the total.
pub fn compute_units(conn: &mut DbConn, scope: &Scope) -> Result<UnitReport, ApiError> {
    let filter = scope.coverage(conn)?;
    let units = listed(conn, &filter, scope.unit_limit)?;
    let (counts, judged_at) = counts_by(conn, Grouping::Unit, &filter, scope.dates, scope.tz)?;
    let rows = units
        .into_iter()
        .map(|u| UnitRow {
            figures: Figures::of(&counts.get(&u.id).copied().unwrap_or_default()),
            unit_id: u.id,
            unit_code: u.code,
            unit_name: u.name,
        })
        .collect();
    Ok(UnitReport {
        period: Period {
            from: scope.dates.0,
            to: scope.dates.1,
            judged_at,
        },
        rows,
        total: Figures::of(&counts.values().sum()),
    })
}

/// Counts per procedure code, with each code's latest procedure version for its labels.
fn procedure_counts(
    conn: &mut DbConn,
    counts: HashMap<Id, Counts>,
) -> Result<Vec<(store::procedures::Procedure, Counts)>, ApiError> {
    let ids: Vec<Id> = counts.keys().copied().collect();
    let procedures = store::procedures::many(conn, &ids)?;
    let mut by_code: BTreeMap<String, (store::procedures::Procedure, Counts)> = BTreeMap::new();
    for p in procedures {
        let c = counts.get(&p.id).copied().unwrap_or_default();
        match by_code.get_mut(&p.code) {
            Some((label, sum)) => {
                *sum += c;
                if p.version > label.version {
                    *label = p;
                }
            }
            None => {
                by_code.insert(p.code.clone(), (p, c));
            }
        }
    }
    Ok(by_code.into_values().collect())
}

/// The periodic report per procedure, with the average processing time in each procedure's
/// own unit of time.
#[utoipa::path(
    tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The report: JSON, or a CSV or XLSX download with format=csv|xlsx", content(
            (ProcedureReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "Invalid query parameters, e.g. an unknown format"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not allowed to read this unit's reports"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "A period that ends before it starts or is too long"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/procedures")]
async fn procedure_report(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<PeriodQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (format, lang) = (Format::choose(q.format, &req), q.lang.unwrap_or_default());
    let dates = period(&q)?;
    let tz = state.config.time_zone;
    let day_seconds = state.config.working_hours.day_seconds();
    let rendered = state
        .report(move |conn| {
            let filter = coverage(conn, &who, q.unit, q.subtree)?;
            let (counts, judged_at) = counts_by(conn, Grouping::Procedure, &filter, dates, tz)?;
            let total: Counts = counts.values().sum();
            let rows = procedure_counts(conn, counts)?
                .into_iter()
                .map(|(p, c)| {
                    let unit = p.processing_unit();
                    let per = match unit {
                        TimeUnit::WorkingDays => day_seconds,
                        TimeUnit::WorkingHours => 3600,
                        TimeUnit::CalendarDays => 86_400,
                    };
                    ProcedureRow {
                        average_processing_time: average(c.processing_seconds, c.finished(), per),
                        procedure_code: p.code,
                        procedure_name: p.name,
                        field: p.field,
                        time_unit: unit,
                        figures: Figures::of(&c),
                    }
                })
                .collect();
            let report = ProcedureReport {
                period: Period {
                    from: dates.0,
                    to: dates.1,
                    judged_at,
                },
                rows,
                total: Figures::of(&total),
            };
            let download = Download::of("procedures", dates);
            export::render(format, &report, report.rows.len(), download, || {
                procedure_table(&report, lang)
            })
        })
        .await?;
    Ok(rendered.response())
}

/// The periodic report per field of procedures.
#[utoipa::path(
    tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The report: JSON, or a CSV or XLSX download with format=csv|xlsx", content(
            (FieldReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "Invalid query parameters, e.g. an unknown format"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not allowed to read this unit's reports"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "A period that ends before it starts or is too long"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/fields")]
async fn field_report(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<PeriodQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (format, lang) = (Format::choose(q.format, &req), q.lang.unwrap_or_default());
    let dates = period(&q)?;
    let tz = state.config.time_zone;
    let rendered = state
        .report(move |conn| {
            let filter = coverage(conn, &who, q.unit, q.subtree)?;
            let (counts, judged_at) = counts_by(conn, Grouping::Procedure, &filter, dates, tz)?;
            let total: Counts = counts.values().sum();
            let mut fields: BTreeMap<String, (String, Counts)> = BTreeMap::new();
            for (p, c) in procedure_counts(conn, counts)? {
                let entry = fields
                    .entry(p.field_key.clone())
                    .or_insert_with(|| (p.field.clone(), Counts::default()));
                entry.1 += c;
            }
            let report = FieldReport {
                period: Period {
                    from: dates.0,
                    to: dates.1,
                    judged_at,
                },
                rows: fields
                    .into_values()
                    .map(|(field, c)| FieldRow {
                        field,
                        figures: Figures::of(&c),
                    })
                    .collect(),
                total: Figures::of(&total),
            };
            let download = Download::of("fields", dates);
            export::render(format, &report, report.rows.len(), download, || {
                field_table(&report, lang)
            })
        })
        .await?;
    Ok(rendered.response())
}

/// The metrics a series can follow: every count and every rate of [`Figures`], in its order.
/// Also the figure columns of every download (after the row-identifying ones), so a figure
/// added to [`Figures`] is added here once.
pub const SERIES_METRICS: &[&str] = &[
    "carried_over",
    "received_online",
    "received_desk",
    "received",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "finished",
    "open_in_time",
    "open_overdue",
    "open",
    "awaiting_reception",
    "awaiting_reception_overdue",
    "refused",
    "intake_online",
    "intake_desk",
    "digitized_with_result",
    "reused",
    "results_issued",
    "with_fee",
    "paid_online",
    "discount_vnd",
    "satisfied",
    "normal",
    "dissatisfied",
    "online_ratio",
    "on_time_rate",
    "late_rate",
    "digitization_ratio",
    "reuse_ratio",
    "electronic_results_ratio",
    "online_payment_ratio",
    "satisfaction",
];

/// A metric of the figures, by name.
fn metric(figures: &Figures, name: &str) -> Option<f64> {
    let json = serde_json::to_value(figures).ok()?;
    json.get(name)?.as_f64()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    /// One of the names of the report's figures, e.g. `received_online` or `on_time_rate`.
    pub metric: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub unit: Option<Id>,
    #[serde(default)]
    pub subtree: bool,
    /// `json` (the default), `csv` or `xlsx`; without it, the `Accept` header chooses
    /// (`text/csv`, or the XLSX media type), else JSON.
    #[param(inline)]
    pub format: Option<Format>,
    /// The language of a download's column headers: `en` (the default: the JSON field names)
    /// or `vi`.
    #[param(inline)]
    pub lang: Option<Lang>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPoint {
    /// `YYYY-MM`.
    pub month: String,
    /// The part of the month inside the period.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Null for a rate that is not applicable.
    pub value: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    pub metric: String,
    pub points: Vec<SeriesPoint>,
}

/// One month of a monthly series (clipped to the period) with all its figures.
#[derive(Debug)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: Figures,
}

/// The figures of every month of `scope`'s period, each month (clipped to the period) reported
/// on its own over all of `scope`'s units.
pub fn compute_months(conn: &mut DbConn, scope: &Scope) -> Result<Vec<Month>, ApiError> {
    let filter = scope.coverage(conn)?;
    let (first, last) = scope.dates;
    let mut months = Vec::new();
    let mut start = first;
    while start <= last {
        let next_month = start
            .with_day(1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .unwrap_or(NaiveDate::MAX);
        let end = next_month.pred_opt().unwrap_or(next_month).min(last);
        let (counts, _) = counts_by(conn, Grouping::Unit, &filter, (start, end), scope.tz)?;
        months.push(Month {
            month: start.format("%Y-%m").to_string(),
            from: start,
            to: end,
            figures: Figures::of(&counts.values().sum()),
        });
        start = next_month;
    }
    Ok(months)
}

/// A monthly series of one metric, each month (clipped to the period) reported on its own.
#[utoipa::path(
    tag = "reports",
    params(SeriesQuery),
    responses(
        (status = 200, description = "The series: JSON, or a CSV or XLSX download with format=csv|xlsx", content(
            (Series = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "Invalid query parameters, e.g. an unknown format"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not allowed to read this unit's reports"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "An unknown metric, or a period that ends before it starts or is too long"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/series")]
async fn series(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<SeriesQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (format, lang) = (Format::choose(q.format, &req), q.lang.unwrap_or_default());
    if !SERIES_METRICS.contains(&q.metric.as_str()) {
        return Err(ApiError::invalid_field(
            "metric",
            "unknown_metric",
            format!("the metric must be one of {}", SERIES_METRICS.join(", ")),
        ));
    }
    let scope = Scope::new(&state, who, q.unit, q.subtree, (q.from, q.to))?;
    let rendered = state
        .report(move |conn| {
            let points = compute_months(conn, &scope)?
                .into_iter()
                .map(|m| SeriesPoint {
                    value: metric(&m.figures, &q.metric),
                    month: m.month,
                    from: m.from,
                    to: m.to,
                })
                .collect();
            let result = Series {
                metric: q.metric,
                points,
            };
            let name = format!("series-{}", result.metric);
            let download = Download::of(&name, scope.dates);
            export::render(format, &result, result.points.len(), download, || {
                series_table(&result, lang)
            })
        })
        .await?;
    Ok(rendered.response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorView {
    pub key: String,
    pub title: String,
    pub title_vi: String,
    /// `publicity`, `progress`, `digitization`, `online_services` or `satisfaction`.
    pub group: String,
    pub numerator: u64,
    pub denominator: u64,
    /// Percent, two decimals; null when not applicable.
    pub rate: Option<f64>,
    /// The rate from which the indicator scores full marks, percent.
    pub threshold: f64,
    pub max_points: f64,
    /// max_points × min(1, rate / threshold), two decimals; null when not applicable.
    pub score: Option<f64>,
    pub applicable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupScore {
    pub group: String,
    pub name: String,
    pub name_vi: String,
    /// Points scored by the applicable indicators computed here.
    pub score: f64,
    /// The maximum of those indicators.
    pub max: f64,
    /// The group's maximum in the decision (indicators not computed here included).
    pub decision_max: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorReport {
    #[serde(flatten)]
    pub period: Period,
    /// The unit scored; null for every unit together.
    pub unit_id: Option<Id>,
    pub indicators: Vec<IndicatorView>,
    pub groups: Vec<GroupScore>,
    pub score: f64,
    pub max: f64,
}

/// The Decision 766 indicators of `scope`'s units together.
pub fn compute_indicators(conn: &mut DbConn, scope: &Scope) -> Result<IndicatorReport, ApiError> {
    let filter = scope.coverage(conn)?;
    let (counts, judged_at) = counts_by(conn, Grouping::Unit, &filter, scope.dates, scope.tz)?;
    let total: Counts = counts.values().sum();
    let list = indicators::indicators(&total);
    let groups = indicators::group_totals(&list)
        .into_iter()
        .map(|(group, score, max)| GroupScore {
            group: group.key().to_string(),
            name: group.name().to_string(),
            name_vi: group.name_vi().to_string(),
            score,
            max,
            decision_max: group.max_points(),
        })
        .collect();
    let (score, max) = indicators::total_score(&list);
    Ok(IndicatorReport {
        period: Period {
            from: scope.dates.0,
            to: scope.dates.1,
            judged_at,
        },
        unit_id: match filter {
            UnitFilter::All => None,
            _ => scope.unit.or(scope.who.unit_id),
        },
        indicators: list
            .iter()
            .map(|i| IndicatorView {
                key: i.key.to_string(),
                title: i.title().to_string(),
                title_vi: i.title_vi().to_string(),
                group: i.group.key().to_string(),
                numerator: i.numerator,
                denominator: i.denominator,
                rate: i.rate,
                threshold: i.threshold,
                max_points: i.max_points,
                score: i.score,
                applicable: i.is_applicable(),
            })
            .collect(),
        groups,
        score,
        max,
    })
}

/// The Decision 766/QĐ-TTg indicators of a unit (with `subtree`, of it and every unit below).
#[utoipa::path(
    tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The indicators: JSON, or a CSV or XLSX download with format=csv|xlsx", content(
            (IndicatorReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "Invalid query parameters, e.g. an unknown format"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not allowed to read this unit's reports"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "A period that ends before it starts or is too long"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/indicators")]
async fn indicator_report(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<PeriodQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (format, lang) = (Format::choose(q.format, &req), q.lang.unwrap_or_default());
    let scope = Scope::new(&state, who, q.unit, q.subtree, (q.from, q.to))?;
    let rendered = state
        .report(move |conn| {
            let report = compute_indicators(conn, &scope)?;
            let download = Download::of("indicators", scope.dates);
            let rows = report.indicators.len() + report.groups.len();
            export::render(format, &report, rows, download, || {
                indicator_table(&report, lang)
            })
        })
        .await?;
    Ok(rendered.response())
}

/// The columns of a download: the row-identifying ones, then every figure.
fn with_figures(identifying: &[&'static str]) -> Vec<&'static str> {
    identifying.iter().chain(SERIES_METRICS).copied().collect()
}

fn unit_table(report: &UnitReport, lang: Lang) -> Result<Table, ApiError> {
    let columns = with_figures(&["unit_code", "unit_name"]);
    let mut table = Builder::new(&columns, lang);
    for row in &report.rows {
        table.row(row, |_| {})?;
    }
    Ok(table.total(&report.total)?.build())
}

fn procedure_table(report: &ProcedureReport, lang: Lang) -> Result<Table, ApiError> {
    let columns = with_figures(&[
        "procedure_code",
        "procedure_name",
        "field",
        "time_unit",
        "average_processing_time",
    ]);
    let mut table = Builder::new(&columns, lang);
    for row in &report.rows {
        table.row(row, |_| {})?;
    }
    Ok(table.total(&report.total)?.build())
}

fn field_table(report: &FieldReport, lang: Lang) -> Result<Table, ApiError> {
    let columns = with_figures(&["field"]);
    let mut table = Builder::new(&columns, lang);
    for row in &report.rows {
        table.row(row, |_| {})?;
    }
    Ok(table.total(&report.total)?.build())
}

fn series_table(result: &Series, lang: Lang) -> Result<Table, ApiError> {
    let columns = ["month", "from", "to", "value"];
    let mut table = Builder::new(&columns, lang);
    for point in &result.points {
        table.row(point, |_| {})?;
    }
    Ok(table.build())
}

/// One row per indicator (titled in `lang`), then the total score out of the maximum.
fn indicator_table(report: &IndicatorReport, lang: Lang) -> Result<Table, ApiError> {
    let columns = [
        "key",
        "title",
        "group",
        "numerator",
        "denominator",
        "rate",
        "threshold",
        "max_points",
        "score",
    ];
    let mut table = Builder::new(&columns, lang);
    for indicator in &report.indicators {
        table.row(indicator, |json| {
            if lang == Lang::Vi {
                if let Some(vi) = json.get("title_vi").cloned() {
                    json.insert("title".into(), vi);
                }
            }
        })?;
    }
    let total = serde_json::json!({"score": report.score, "max_points": report.max});
    Ok(table.total(&total)?.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figure_list_names_every_figure_once() {
        let json = serde_json::to_value(Figures::of(&Counts::default())).unwrap();
        let keys: std::collections::BTreeSet<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let listed: std::collections::BTreeSet<&str> = SERIES_METRICS.iter().copied().collect();
        assert_eq!(listed.len(), SERIES_METRICS.len());
        assert_eq!(keys, listed);
    }
}
