//! The working calendar's data: holidays and compensatory working days, kept per year.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use crate::config::Config;
use crate::db::schema::calendar_days;
use crate::db::{self, DbConn};
use crate::domain::calendar::{DayKind, SpecialDay, WorkingCalendar};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_days)]
struct CalendarDay {
    day: NaiveDate,
    year: i32,
    kind: String,
    name: String,
}

impl CalendarDay {
    fn into_special(self) -> SpecialDay {
        SpecialDay {
            date: self.day,
            kind: DayKind::parse(&self.kind).unwrap_or(DayKind::Holiday),
            name: self.name,
        }
    }
}

/// The special days of a year, in date order.
pub fn year(conn: &mut DbConn, year: i32) -> QueryResult<Vec<SpecialDay>> {
    let rows: Vec<CalendarDay> = calendar_days::table
        .filter(calendar_days::year.eq(year))
        .order(calendar_days::day.asc())
        .select(CalendarDay::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(CalendarDay::into_special).collect())
}

/// Replaces the special days of a year with `days` (all of them in that year).
pub fn replace_year(conn: &mut DbConn, year: i32, days: &[SpecialDay]) -> QueryResult<()> {
    let rows: Vec<CalendarDay> = days
        .iter()
        .map(|d| CalendarDay {
            day: d.date,
            year: d.date.year(),
            kind: d.kind.as_str().to_string(),
            name: d.name.clone(),
        })
        .collect();
    db::write(conn, |conn| {
        diesel::delete(calendar_days::table.filter(calendar_days::year.eq(year))).execute(conn)?;
        for row in &rows {
            diesel::insert_into(calendar_days::table)
                .values(row)
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The working calendar from `from` onwards: the configured time zone and hours with every
/// special day on or after `from` (a few dozen rows a year).
pub fn working_calendar(
    conn: &mut DbConn,
    config: &Config,
    from: NaiveDate,
) -> QueryResult<WorkingCalendar> {
    let rows: Vec<CalendarDay> = calendar_days::table
        .filter(calendar_days::day.ge(from))
        .select(CalendarDay::as_select())
        .load(conn)?;
    Ok(WorkingCalendar::new(
        config.time_zone,
        config.working_hours.clone(),
        rows.into_iter().map(CalendarDay::into_special),
    ))
}
