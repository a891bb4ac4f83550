//! The working calendar: each year's holidays and compensatory working days (read by anyone,
//! set by administrators), and the deadline calculator that explains how a due date is reached.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use actix_web::{get, put, web};

use super::extract::{not_blank, ValidJson};
use crate::auth::Principal;
use crate::domain::accounts::Role;
use crate::domain::calendar::{DayKind, Deadline, SpecialDay, TimeUnit};
use crate::domain::procedures::max_processing_amount;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The deadline route comes first: `/calendar/{year}` would otherwise claim it.
    cfg.service(deadline).service(get_year).service(put_year);
}

const FIRST_YEAR: i32 = 1990;
const LAST_YEAR: i32 = 2200;

fn check_year(year: i32) -> Result<i32, ApiError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::not_found("Calendar year"))
    }
}

/// A holiday or a compensatory working day.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayView {
    pub date: NaiveDate,
    /// `holiday`: no work on that day; `working_day`: a Saturday or Sunday worked in exchange
    /// for a bridged holiday.
    pub kind: DayKind,
    /// e.g. "Tết Nguyên đán", "Quốc khánh".
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYearView {
    pub year: i32,
    pub days: Vec<CalendarDayView>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearInput {
    /// Every special day of the year; replaces what was there.
    #[validate(length(max = 120), nested)]
    pub days: Vec<CalendarDayView>,
}

fn view(year: i32, days: Vec<SpecialDay>) -> CalendarYearView {
    CalendarYearView {
        year,
        days: days
            .into_iter()
            .map(|d| CalendarDayView {
                date: d.date,
                kind: d.kind,
                name: d.name,
            })
            .collect(),
    }
}

/// A year's holidays and compensatory working days.
#[utoipa::path(
    tag = "calendar",
    params(("year" = i32, Path, description = "The year, e.g. 2026")),
    responses(
        (status = 200, description = "The year's special days in date order", body = CalendarYearView),
        (status = 404, description = "Not a year this service keeps"),
    )
)]
#[get("/calendar/{year:[0-9][0-9][0-9][0-9]}")]
async fn get_year(
    state: web::Data<AppState>,
    year: web::Path<i32>,
) -> Result<web::Json<CalendarYearView>, ApiError> {
    let year = check_year(year.into_inner())?;
    let days = state
        .db(move |conn| Ok(store::calendar::year(conn, year)?))
        .await?;
    Ok(web::Json(view(year, days)))
}

/// Set a year's holidays and compensatory working days (administrators).
#[utoipa::path(
    tag = "calendar",
    params(("year" = i32, Path, description = "The year, e.g. 2026")),
    request_body = CalendarYearInput,
    responses(
        (status = 200, description = "The year as stored", body = CalendarYearView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "Not a year this service keeps"),
        (status = 422, description = "A day outside the year, a duplicate date, or a working day that is not a weekend day"),
    ),
    security(("bearer" = []))
)]
#[put("/calendar/{year:[0-9][0-9][0-9][0-9]}")]
async fn put_year(
    state: web::Data<AppState>,
    who: Principal,
    year: web::Path<i32>,
    body: ValidJson<CalendarYearInput>,
) -> Result<web::Json<CalendarYearView>, ApiError> {
    who.require(&[Role::Admin])?;
    let year = check_year(year.into_inner())?;
    let mut days = body.0.days;
    days.sort_by_key(|d| d.date);
    let mut errors = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let problem = if day.date.year() != year {
            Some(format!("{} is not in {year}", day.date))
        } else if i > 0 && days[i - 1].date == day.date {
            Some(format!("{} is listed twice", day.date))
        } else if day.kind == DayKind::WorkingDay && day.date.weekday().number_from_monday() < 6 {
            Some(format!(
                "{} is a weekday: a compensatory working day is a Saturday or Sunday",
                day.date
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            errors.push(FieldError {
                field: format!("days[{}]", day.date),
                code: "invalid_day".to_string(),
                message,
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let special: Vec<SpecialDay> = days
        .into_iter()
        .map(|d| SpecialDay {
            date: d.date,
            kind: d.kind,
            name: d.name.trim().to_string(),
        })
        .collect();
    let stored = state
        .db(move |conn| {
            store::calendar::replace_year(conn, year, &special)?;
            Ok(store::calendar::year(conn, year)?)
        })
        .await?;
    Ok(web::Json(view(year, stored)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// When the clock starts (RFC 3339, any offset), e.g. `2026-11-23T15:00:00+07:00`.
    #[param(format = DateTime)]
    pub start: String,
    /// How much processing time.
    pub amount: u32,
    /// `working_days`, `working_hours` or `calendar_days`.
    pub unit: TimeUnit,
}

/// A day the count passed over.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedDayView {
    pub date: NaiveDate,
    /// `saturday`, `sunday` or `holiday`.
    pub reason: String,
    /// The holiday's name.
    pub name: Option<String>,
}

/// A weekend day worked that the count included.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompensatoryDayView {
    pub date: NaiveDate,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineView {
    pub start: DateTime<Utc>,
    pub amount: u32,
    pub unit: TimeUnit,
    /// The first working instant at or after `start`, where the count began.
    pub effective_start: DateTime<Utc>,
    /// The due instant.
    pub due_at: DateTime<Utc>,
    /// The due instant in the service's time zone.
    pub due_at_local: DateTime<FixedOffset>,
    /// The working time counted, in seconds (0 for calendar days).
    pub working_seconds: i64,
    /// Weekends and holidays passed over, in date order.
    pub skipped_days: Vec<SkippedDayView>,
    /// Compensatory working days counted.
    pub compensatory_working_days: Vec<CompensatoryDayView>,
    /// The same, in words.
    pub explanation: String,
}

fn deadline_view(d: Deadline, amount: u32, unit: TimeUnit, tz: chrono_tz::Tz) -> DeadlineView {
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).fixed_offset();
    let mut explanation = format!(
        "{amount} {} from {}",
        unit.as_str().replace('_', " "),
        local(d.start).format("%Y-%m-%d %H:%M")
    );
    if d.effective_start != d.start {
        explanation.push_str(&format!(
            ", counted from {} (the next working period)",
            local(d.effective_start).format("%Y-%m-%d %H:%M")
        ));
    }
    if !d.skipped.is_empty() {
        let days: Vec<String> = d
            .skipped
            .iter()
            .map(|s| match &s.name {
                Some(name) => format!("{} ({name})", s.date),
                None => format!("{} ({})", s.date, s.reason.as_str()),
            })
            .collect();
        explanation.push_str(&format!(", skipping {}", days.join(", ")));
    }
    if !d.compensatory.is_empty() {
        let days: Vec<String> = d
            .compensatory
            .iter()
            .map(|(date, _)| date.to_string())
            .collect();
        explanation.push_str(&format!(", working on {}", days.join(", ")));
    }
    explanation.push_str(&format!(
        ": due {}.",
        local(d.due_at).format("%Y-%m-%d %H:%M")
    ));
    DeadlineView {
        start: d.start,
        amount,
        unit,
        effective_start: d.effective_start,
        due_at: d.due_at,
        due_at_local: local(d.due_at),
        working_seconds: d.working_seconds,
        skipped_days: d
            .skipped
            .into_iter()
            .map(|s| SkippedDayView {
                date: s.date,
                reason: s.reason.as_str().to_string(),
                name: s.name,
            })
            .collect(),
        compensatory_working_days: d
            .compensatory
            .into_iter()
            .map(|(date, name)| CompensatoryDayView { date, name })
            .collect(),
        explanation,
    }
}

/// Compute a due date with the working calendar, and explain it.
#[utoipa::path(
    tag = "calendar",
    params(DeadlineQuery),
    responses(
        (status = 200, description = "The due instant and how it was reached", body = DeadlineView),
        (status = 400, description = "Missing or malformed parameters"),
        (status = 422, description = "An amount out of range"),
    )
)]
#[get("/calendar/deadline")]
async fn deadline(
    state: web::Data<AppState>,
    query: web::Query<DeadlineQuery>,
) -> Result<web::Json<DeadlineView>, ApiError> {
    let DeadlineQuery {
        start,
        amount,
        unit,
    } = query.into_inner();
    let start = DateTime::parse_from_rfc3339(&start)
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_query",
                "start must be an RFC 3339 instant such as 2026-11-23T15:00:00+07:00.",
            )
        })?
        .with_timezone(&Utc);
    let max = max_processing_amount(unit);
    if amount > max {
        return Err(ApiError::invalid_field(
            "amount",
            "range",
            format!("must be at most {max} for {unit}"),
        ));
    }
    let config = state.config.clone();
    let tz = config.time_zone;
    let from = start.with_timezone(&tz).date_naive();
    let calendar = state
        .db(move |conn| Ok(store::calendar::working_calendar(conn, &config, from)?))
        .await?;
    let due = calendar.deadline(start, amount, unit);
    Ok(web::Json(deadline_view(due, amount, unit, tz)))
}
