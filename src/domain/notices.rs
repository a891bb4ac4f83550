//! Whom the service tells what, and when: the applicant's notices after an action (received with
//! its receipt, supplement needed, apology, result ready), their e-mail and SMS texts, the
//! webhook event names and filters, the officials' warning one working day before a due date and
//! their daily overdue list, and how failed deliveries are retried.
//!
//! Choices the law leaves open (DOMAIN.md is silent on notifications):
//! - "one working day before the due date" means: the working time left until the due date is at
//!   most one working day of the calendar's hours (so a dossier due Monday 10:00 is warned of from
//!   the Friday before, 10:00, weekends and holidays skipped);
//! - the overdue list goes out once per working day, from the start of its first working period;
//! - a failed delivery is retried after `base`, then twice as long each time (capped at six
//!   hours), and is dead after `max_attempts` tries.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::calendar::WorkingCalendar;
use super::lifecycle::Status;

string_enum! {
    /// What the applicant is told of.
    pub enum Notice {
        /// The dossier was received: its code and appointment date (the receipt).
        Received => "dossier.received",
        /// Components must be added or corrected.
        SupplementRequested => "dossier.supplement_requested",
        /// The appointment is moved, with the unit's apology.
        Apologized => "dossier.apologized",
        /// The result is ready at the desk.
        ResultReady => "dossier.result_ready",
    }
}

/// What a notice says about the dossier.
#[derive(Debug, Clone)]
pub struct Letter<'a> {
    pub applicant_name: &'a str,
    pub code: Option<&'a str>,
    /// The appointment date, local time.
    pub due_at: Option<NaiveDateTime>,
    /// The official's note (what is missing, why the delay).
    pub note: Option<&'a str>,
}

impl Notice {
    /// The notice an action that leaves the dossier in `to` gives the applicant, if any.
    pub fn after(action: &str, to: Status) -> Option<Notice> {
        match (action, to) {
            ("receive" | "record", Status::Received) => Some(Notice::Received),
            ("request_supplement", Status::SupplementRequested) => {
                Some(Notice::SupplementRequested)
            }
            ("apology", _) => Some(Notice::Apologized),
            ("approve", Status::Processed) => Some(Notice::ResultReady),
            _ => None,
        }
    }

    /// The e-mail: (subject, body).
    pub fn email(self, letter: &Letter<'_>) -> (String, String) {
        let code = letter.code.unwrap_or("(chưa có mã)");
        let due = letter
            .due_at
            .map(|d| d.format("%H:%M ngày %d/%m/%Y").to_string())
            .unwrap_or_else(|| "—".to_string());
        let note = letter
            .note
            .map(|n| format!("\nGhi chú của cán bộ: {n}\n"))
            .unwrap_or_default();
        let (subject, text) = match self {
            Notice::Received => (
                format!("Giấy tiếp nhận hồ sơ {code}"),
                format!(
                    "Hồ sơ của Ông/Bà đã được tiếp nhận.\nMã hồ sơ: {code}\nNgày hẹn trả kết quả: {due}\n"
                ),
            ),
            Notice::SupplementRequested => (
                format!("Hồ sơ {code} cần bổ sung"),
                format!("Hồ sơ {code} cần được bổ sung, hoàn thiện trước khi giải quyết tiếp.\n"),
            ),
            Notice::Apologized => (
                format!("Thư xin lỗi về việc trễ hạn hồ sơ {code}"),
                format!(
                    "Cơ quan giải quyết xin lỗi Ông/Bà vì hồ sơ {code} chưa có kết quả đúng hẹn.\nNgày hẹn mới: {due}\n"
                ),
            ),
            Notice::ResultReady => (
                format!("Hồ sơ {code} đã có kết quả"),
                format!("Hồ sơ {code} đã có kết quả giải quyết. Mời Ông/Bà nhận kết quả.\n"),
            ),
        };
        (
            subject,
            format!(
                "Kính gửi Ông/Bà {},\n\n{text}{note}\nTra cứu tình trạng hồ sơ bằng mã hồ sơ trên Cổng dịch vụ công.\n",
                letter.applicant_name
            ),
        )
    }

    /// The SMS: short, without accents being required by the gateway (kept as written).
    pub fn sms(self, letter: &Letter<'_>) -> String {
        let code = letter.code.unwrap_or("-");
        let due = letter
            .due_at
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|| "-".to_string());
        match self {
            Notice::Received => format!("Ho so {code} da duoc tiep nhan. Hen tra: {due}."),
            Notice::SupplementRequested => format!("Ho so {code} can bo sung. Vui long kiem tra."),
            Notice::Apologized => format!("Ho so {code} tre hen, xin loi Ong/Ba. Hen moi: {due}."),
            Notice::ResultReady => format!("Ho so {code} da co ket qua. Moi Ong/Ba nhan ket qua."),
        }
    }
}

/// The webhook event of a history entry: `dossier.` and the action (`dossier.receive`).
pub fn event_name(action: &str) -> String {
    format!("dossier.{action}")
}

/// Whether a subscription's filter takes `event`: a comma-separated list of event names, where
/// `*` takes every event and `dossier.*` every event of a dossier.
pub fn filter_takes(filter: &str, event: &str) -> bool {
    filter.split(',').map(str::trim).any(|f| {
        f == "*" || f == event || f.strip_suffix('*').is_some_and(|p| event.starts_with(p))
    })
}

/// Whether a filter is well-formed: names of letters, digits, `.`, `_` and a final `*`.
pub fn valid_filter(filter: &str) -> bool {
    !filter.trim().is_empty()
        && filter.split(',').map(str::trim).all(|f| {
            let name = f.strip_suffix('*').unwrap_or(f);
            !f.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
        })
}

/// Whether an address is on the public internet: not loopback, private (RFC 1918, unique
/// local), link-local (cloud metadata), unspecified, CGNAT or multicast.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (a == 100 && (64..128).contains(&b)))
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(std::net::IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// Whether the officials of a dossier due at `due_at` are to be warned at `now`: it is not yet
/// due and at most one working day of working time is left.
pub fn due_soon(calendar: &WorkingCalendar, now: DateTime<Utc>, due_at: DateTime<Utc>) -> bool {
    now < due_at && calendar.working_seconds_between(now, due_at) <= calendar.hours().day_seconds()
}

/// The working day whose overdue list is due at `now`: today, when today is a working day and
/// its first working period has begun.
pub fn overdue_list_day(calendar: &WorkingCalendar, now: DateTime<Utc>) -> Option<NaiveDate> {
    let local = now.with_timezone(&calendar.tz()).naive_local();
    let day = local.date();
    let start = calendar.hours().periods().first()?.0;
    (calendar.is_working_day(day) && local.time() >= start).then_some(day)
}

/// How long to wait before the next try after `attempts` failed ones, or `None` when the
/// delivery is dead: `base`, doubled each time, at most six hours.
pub fn retry_delay(attempts: i32, max_attempts: i32, base_ms: u64) -> Option<std::time::Duration> {
    if attempts >= max_attempts {
        return None;
    }
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
    let ms = base_ms
        .saturating_mul(1u64 << doublings)
        .min(6 * 3600 * 1000);
    Some(std::time::Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{DayKind, SpecialDay, WorkingHours};

    fn calendar() -> WorkingCalendar {
        // 2026-09-02 (Wednesday) is National Day; 2026-09-01 is a bridging holiday.
        let holidays = [1, 2].map(|d| SpecialDay {
            date: NaiveDate::from_ymd_opt(2026, 9, d).unwrap(),
            kind: DayKind::Holiday,
            name: "Quốc khánh".to_string(),
        });
        WorkingCalendar::new(
            chrono_tz::Asia::Ho_Chi_Minh,
            WorkingHours::default(),
            holidays,
        )
    }

    /// Local Ho Chi Minh City time (UTC+7) as a UTC instant.
    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{text}+07:00"))
            .unwrap()
            .to_utc()
    }

    #[test]
    fn notices_follow_the_actions_that_concern_the_applicant() {
        let table = [
            ("receive", Status::Received, Some(Notice::Received)),
            ("record", Status::Received, Some(Notice::Received)),
            (
                "request_supplement",
                Status::SupplementRequested,
                Some(Notice::SupplementRequested),
            ),
            ("apology", Status::Processing, Some(Notice::Apologized)),
            ("approve", Status::Processed, Some(Notice::ResultReady)),
            ("submit", Status::Submitted, None),
            ("transfer", Status::Processing, None),
            ("supplement", Status::Received, None),
            ("return_result", Status::Returned, None),
        ];
        for (action, to, expected) in table {
            assert_eq!(Notice::after(action, to), expected, "{action}");
        }
    }

    #[test]
    fn the_receipt_gives_the_code_and_the_appointment() {
        let letter = Letter {
            applicant_name: "Nguyễn Văn An",
            code: Some("000.00.12.H30-261201-0001"),
            due_at: Some(
                NaiveDate::from_ymd_opt(2026, 12, 4)
                    .unwrap()
                    .and_hms_opt(16, 30, 0)
                    .unwrap(),
            ),
            note: None,
        };
        let (subject, body) = Notice::Received.email(&letter);
        assert_eq!(subject, "Giấy tiếp nhận hồ sơ 000.00.12.H30-261201-0001");
        assert!(body.contains("Kính gửi Ông/Bà Nguyễn Văn An"), "{body}");
        assert!(body.contains("16:30 ngày 04/12/2026"), "{body}");
        assert_eq!(
            Notice::Received.sms(&letter),
            "Ho so 000.00.12.H30-261201-0001 da duoc tiep nhan. Hen tra: 04/12/2026."
        );
    }

    #[test]
    fn filters() {
        let table = [
            ("*", "dossier.receive", true),
            ("dossier.*", "dossier.receive", true),
            ("dossier.receive,dossier.approve", "dossier.approve", true),
            ("dossier.receive", "dossier.approve", false),
            ("dossier.rec*", "dossier.receive", true),
        ];
        for (filter, event, takes) in table {
            assert_eq!(filter_takes(filter, event), takes, "{filter} {event}");
        }
        assert!(valid_filter("dossier.receive, dossier.*"));
        assert!(!valid_filter(""));
        assert!(!valid_filter("dossier.receive,,"));
        assert!(!valid_filter("Dossier.<x>"));
    }

    #[test]
    fn warnings_start_one_working_day_before_the_due_date() {
        let cal = calendar();
        // Due Monday 2026-12-07 10:00: warned from Friday 10:00, not on Thursday.
        let due = at("2026-12-07T10:00:00");
        let table = [
            ("2026-12-03T17:00:00", false),
            ("2026-12-04T09:59:00", false),
            ("2026-12-04T10:00:00", true),
            ("2026-12-05T12:00:00", true),
            ("2026-12-07T09:59:00", true),
            ("2026-12-07T10:00:00", false),
        ];
        for (now, warned) in table {
            assert_eq!(due_soon(&cal, at(now), due), warned, "{now}");
        }
        // Working hours are 07:30–11:30 and 13:00–17:00. Due Thursday 2026-09-03 08:00 after
        // the National Day holidays: from Monday 08:00.
        let due = at("2026-09-03T08:00:00");
        assert!(!due_soon(&cal, at("2026-08-31T07:59:00"), due));
        assert!(due_soon(&cal, at("2026-08-31T08:00:00"), due));
    }

    #[test]
    fn the_overdue_list_goes_out_on_working_days_from_the_first_period() {
        let cal = calendar();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let table = [
            ("2026-12-04T07:29:00", None),
            ("2026-12-04T07:30:00", d(2026, 12, 4)),
            ("2026-12-04T23:00:00", d(2026, 12, 4)),
            ("2026-12-05T09:00:00", None),
            ("2026-09-02T09:00:00", None),
        ];
        for (now, day) in table {
            assert_eq!(overdue_list_day(&cal, at(now)), day, "{now}");
        }
    }

    #[test]
    fn public_addresses() {
        let table = [
            ("8.8.8.8", true),
            ("2001:4860:4860::8888", true),
            ("127.0.0.1", false),
            ("10.1.2.3", false),
            ("172.28.0.10", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("0.0.0.0", false),
            ("::1", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("::ffff:127.0.0.1", false),
        ];
        for (ip, public) in table {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }

    #[test]
    fn retries_back_off_then_die() {
        let ms = |a| retry_delay(a, 5, 1000).map(|d| d.as_millis());
        assert_eq!(
            [1, 2, 3, 4, 5].map(ms),
            [Some(1000), Some(2000), Some(4000), Some(8000), None]
        );
        assert_eq!(
            retry_delay(20, 40, 60_000),
            Some(std::time::Duration::from_secs(6 * 3600))
        );
    }
}
