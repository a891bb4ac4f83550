//! What an action does to a dossier: [`plan`] takes the dossier's facts, the request and the
//! actor, asks the lifecycle table whether the action is allowed, and computes every change —
//! the next state, the clock (appointment, pause, late mark, apology), the control sheet's step
//! judgement and the history entry. Pure: the store applies the outcome in one transaction.

use chrono::{DateTime, Utc};

use super::calendar::{TimeUnit, WorkingCalendar};
use super::deadline::{self, ApologyRefusal};
use super::lifecycle::{decide, Action, Actor, Next, Refusal, Status};
use super::timeliness::{self, Timeliness};
use crate::id::Id;

/// The facts of a dossier that actions read and change.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub status: Status,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub apology_due_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
    pub supplement_requests: i32,
    pub resume_status: Option<Status>,
    pub assigned_specialist_id: Option<Id>,
    pub draft_submitted: bool,
    pub step_index: i32,
    pub step_started_at: Option<DateTime<Utc>>,
    pub step_paused_base: i64,
    pub finished_at: Option<DateTime<Utc>>,
    /// The moment from which the dossier counts as overdue while it is open, given no further
    /// change ([`overdue_from`]); `None` while it waits in time for a supplement.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Received dossiers once finished: the processing time in the procedure's kind of time
    /// (working or elapsed seconds), the time paused for supplements left out.
    pub processing_seconds: Option<i64>,
}

impl Facts {
    /// A dossier just submitted online, or (with `received_at`) just recorded at the desk.
    pub fn new(status: Status) -> Facts {
        Facts {
            status,
            received_at: None,
            due_at: None,
            apology_due_at: None,
            paused_at: None,
            paused_seconds: 0,
            supplement_requests: 0,
            resume_status: None,
            assigned_specialist_id: None,
            draft_submitted: false,
            step_index: 0,
            step_started_at: None,
            step_paused_base: 0,
            finished_at: None,
            overdue_at: None,
            processing_seconds: None,
        }
    }

    /// Starts the legal clock: the dossier is received at `now`.
    pub fn receive(
        &mut self,
        now: DateTime<Utc>,
        procedure: &Procedure,
        calendar: &WorkingCalendar,
    ) {
        self.received_at = Some(now);
        self.due_at = Some(deadline::appointment(
            calendar,
            now,
            procedure.amount,
            procedure.unit,
        ));
        self.step_started_at = Some(now);
        self.step_paused_base = 0;
        self.overdue_at = self.due_at;
    }
}

/// The moment from which a dossier with the facts `after` counts as overdue while it stays open
/// (DOMAIN.md §7), after an action at `now` on a dossier with the facts `before`:
/// - once overdue, a dossier stays overdue until it is finished (a supplement requested after
///   the appointment is judged at the request, and the time it pauses moves the appointment no
///   later than the supplement's arrival);
/// - a second supplement request makes it overdue from that moment;
/// - while it waits in time for a supplement it is not overdue (`None`);
/// - otherwise it is overdue from its appointment.
///
/// Finishing keeps the value: the dossier was overdue from then until it finished. Reports use
/// it to tell, for any past period's end, whether a dossier then open was overdue.
pub fn overdue_from(before: &Facts, after: &Facts, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if after.finished_at.is_some() {
        return before.overdue_at;
    }
    after.due_at?;
    if let Some(since) = before.overdue_at.filter(|since| *since < now) {
        return Some(since);
    }
    if after.supplement_requests > 1 {
        return Some(now);
    }
    if after.paused_at.is_some() {
        return None;
    }
    after.due_at
}

/// What the procedure says about time.
#[derive(Debug, Clone)]
pub struct Procedure {
    pub amount: u32,
    pub unit: TimeUnit,
    /// The control sheet's steps: (name, share in percent).
    pub steps: Vec<(String, i32)>,
}

/// The action asked for, with its own fields.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub note: Option<String>,
    pub reason: Option<String>,
    pub missing_components: Vec<Id>,
    pub specialist_id: Option<Id>,
    pub new_due_at: Option<DateTime<Utc>>,
    /// How many components the applicant's supplement brings.
    pub supplied_components: usize,
    /// The account acting (a draft comes from the specialist the dossier is assigned to).
    pub acting_account: Option<Id>,
    /// What the applicant still owes, in VND.
    pub amount_due: i64,
    /// `confirm_payment` at the counter: the number of the receipt given.
    pub receipt_number: Option<String>,
}

/// The control sheet's judgement of the step an action closed.
#[derive(Debug, Clone, PartialEq)]
pub struct StepJudgement {
    pub name: String,
    pub due_at: DateTime<Utc>,
    pub timeliness: Timeliness,
}

/// Everything an allowed action changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub facts: Facts,
    /// Whether the dossier gets its code now (on receipt).
    pub assign_code: bool,
    pub step: Option<StepJudgement>,
}

/// Why an action cannot be done.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// Not possible in this state (409).
    Illegal(String),
    /// Not for this actor (403).
    NotAllowed(String),
    /// A field of the request is missing or wrong (422).
    Invalid {
        field: &'static str,
        message: String,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> Refused {
    Refused::Invalid {
        field,
        message: message.into(),
    }
}

/// Plans `action` by `actor` on a dossier with `facts`, at `now`.
pub fn plan(
    facts: &Facts,
    action: Action,
    actor: Actor,
    request: &Request,
    procedure: &Procedure,
    calendar: &WorkingCalendar,
    now: DateTime<Utc>,
) -> Result<Outcome, Refused> {
    let next = decide(facts.status, action, actor).map_err(|refusal| match refusal {
        Refusal::IllegalTransition => Refused::Illegal(format!(
            "a dossier that is {} cannot be given the action {action}",
            facts.status
        )),
        Refusal::NotAllowed => Refused::NotAllowed(format!("you may not {action} this dossier")),
    })?;
    let mut f = facts.clone();
    let mut assign_code = false;
    match action {
        Action::Receive => {
            f.receive(now, procedure, calendar);
            assign_code = true;
        }
        Action::Refuse | Action::Stop => {
            if blank(&request.reason) {
                return Err(invalid("reason", "a reason is required"));
            }
            f.finished_at = Some(now);
            f.paused_at = None;
        }
        Action::RequestSupplement => {
            if request.missing_components.is_empty() {
                return Err(invalid(
                    "missing_components",
                    "list the components that are missing or must be corrected",
                ));
            }
            f.resume_status = Some(facts.status);
            f.paused_at = Some(now);
            // Only requests made after receipt count against the processing time.
            if facts.received_at.is_some() {
                f.supplement_requests += 1;
            }
        }
        Action::Supplement => {
            if request.supplied_components == 0 && blank(&request.note) {
                return Err(invalid(
                    "components",
                    "a supplement brings components or at least a note",
                ));
            }
            if let (Some(paused_at), Some(due)) = (facts.paused_at, facts.due_at) {
                let paused = deadline::elapsed(calendar, procedure.unit, paused_at, now);
                f.paused_seconds += paused;
                f.due_at = Some(deadline::extend(calendar, procedure.unit, due, paused));
            }
            f.paused_at = None;
        }
        Action::Assign => {
            if request.specialist_id.is_none() {
                return Err(invalid("specialist_id", "name the specialist to assign"));
            }
            f.assigned_specialist_id = request.specialist_id;
        }
        Action::SubmitDraft => {
            if let (Some(assigned), Some(me)) =
                (facts.assigned_specialist_id, request.acting_account)
            {
                if assigned != me {
                    return Err(Refused::NotAllowed(
                        "the dossier is assigned to another specialist".into(),
                    ));
                }
            }
            f.draft_submitted = true;
        }
        Action::Approve => {
            if !facts.draft_submitted {
                return Err(Refused::Illegal(
                    "there is no draft result to approve: a specialist submits it first".into(),
                ));
            }
            f.finished_at = Some(now);
        }
        Action::Apology => {
            let new_due = request
                .new_due_at
                .ok_or_else(|| invalid("new_due_at", "give the new appointment"))?;
            if blank(&request.reason) {
                return Err(invalid("reason", "an apology letter gives its reason"));
            }
            let due = facts.due_at.ok_or_else(|| {
                Refused::Illegal("the dossier has no appointment to apologize for".into())
            })?;
            deadline::check_apology(calendar, now, due, facts.apology_due_at.is_some(), new_due)
                .map_err(|refusal| match refusal {
                    ApologyRefusal::NotLater | ApologyRefusal::TooFar => {
                        invalid("new_due_at", refusal.message())
                    }
                    _ => Refused::Illegal(refusal.message().to_string()),
                })?;
            f.apology_due_at = Some(new_due);
        }
        Action::Withdraw => {
            f.resume_status = Some(facts.status);
        }
        Action::ConfirmWithdrawal => {
            f.finished_at = Some(now);
            f.paused_at = None;
        }
        Action::ReturnResult => {
            f.finished_at = f.finished_at.or(Some(now));
        }
        Action::RequestPayment => {
            if request.amount_due <= 0 {
                return Err(Refused::Illegal(
                    "nothing is due: the fee is waived or already paid".into(),
                ));
            }
        }
        Action::ConfirmPayment => {
            if actor != Actor::System && blank(&request.receipt_number) {
                return Err(invalid(
                    "receipt_number",
                    "give the number of the receipt issued at the counter",
                ));
            }
        }
        Action::Transfer => {}
    }
    f.status = match next {
        Next::To(status) => status,
        Next::Stay => facts.status,
        Next::Back => {
            let back = facts.resume_status.unwrap_or(Status::Received);
            f.resume_status = None;
            back
        }
    };
    f.overdue_at = overdue_from(facts, &f, now);
    if let (Some(received), Some(ended), None) = (f.received_at, f.finished_at, facts.finished_at) {
        let paused_now = facts
            .paused_at
            .map_or(0, |p| deadline::elapsed(calendar, procedure.unit, p, ended));
        let worked = deadline::elapsed(calendar, procedure.unit, received, ended);
        f.processing_seconds = Some((worked - f.paused_seconds - paused_now).max(0));
    }
    // A corrected draft does not close the specialist's step again.
    let redraft = action == Action::SubmitDraft && facts.draft_submitted;
    let step = if redraft {
        None
    } else {
        judge_step(&mut f, action, procedure, calendar, now)
    };
    Ok(Outcome {
        facts: f,
        assign_code,
        step,
    })
}

/// Closes the current step of the control sheet when `action` ends one.
fn judge_step(
    f: &mut Facts,
    action: Action,
    procedure: &Procedure,
    calendar: &WorkingCalendar,
    now: DateTime<Utc>,
) -> Option<StepJudgement> {
    if !deadline::ends_step(action) {
        return None;
    }
    let started = f.step_started_at?;
    let (name, share) = procedure
        .steps
        .get(usize::try_from(f.step_index).ok()?)?
        .clone();
    let due = deadline::step_due(
        calendar,
        procedure.amount,
        procedure.unit,
        started,
        share,
        f.paused_seconds - f.step_paused_base,
    );
    f.step_index += 1;
    f.step_started_at = Some(now);
    f.step_paused_base = f.paused_seconds;
    Some(StepJudgement {
        name,
        due_at: due,
        timeliness: timeliness::finished(due, now, false, calendar.tz()),
    })
}

fn blank(text: &Option<String>) -> bool {
    text.as_deref().is_none_or(|t| t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn t(s: &str) -> DateTime<Utc> {
        let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        TZ.from_local_datetime(&local).unwrap().with_timezone(&Utc)
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::new(TZ, Default::default(), [])
    }

    fn procedure() -> Procedure {
        Procedure {
            amount: 10,
            unit: TimeUnit::WorkingDays,
            steps: vec![
                ("Tiếp nhận".into(), 10),
                ("Chuyên viên xử lý".into(), 60),
                ("Lãnh đạo phê duyệt".into(), 20),
                ("Trả kết quả".into(), 10),
            ],
        }
    }

    fn step(
        facts: &mut Facts,
        action: Action,
        actor: Actor,
        request: Request,
        at: &str,
    ) -> Outcome {
        let outcome = plan(
            facts,
            action,
            actor,
            &request,
            &procedure(),
            &calendar(),
            t(at),
        )
        .unwrap_or_else(|e| panic!("{action}: {e:?}"));
        *facts = outcome.facts.clone();
        outcome
    }

    #[test]
    fn a_full_online_lifecycle_with_one_supplement() {
        let mut f = Facts::new(Status::Submitted);
        let received = step(
            &mut f,
            Action::Receive,
            Actor::Reception,
            Request::default(),
            "2026-11-23 08:00",
        );
        assert!(received.assign_code);
        assert_eq!(f.due_at, Some(t("2026-12-07 08:00")));
        let transfer = step(
            &mut f,
            Action::Transfer,
            Actor::Reception,
            Request::default(),
            "2026-11-23 10:00",
        );
        let judged = transfer.step.unwrap();
        assert_eq!(judged.name, "Tiếp nhận");
        assert_eq!(judged.due_at, t("2026-11-24 08:00"));
        assert_eq!(judged.timeliness, Timeliness::Early);
        let specialist = Id::new();
        let assign = Request {
            specialist_id: Some(specialist),
            ..Default::default()
        };
        step(
            &mut f,
            Action::Assign,
            Actor::Leader,
            assign,
            "2026-11-23 10:30",
        );
        assert_eq!(f.assigned_specialist_id, Some(specialist));
        let missing = Request {
            missing_components: vec![Id::new()],
            ..Default::default()
        };
        step(
            &mut f,
            Action::RequestSupplement,
            Actor::Specialist,
            missing,
            "2026-11-24 15:00",
        );
        assert_eq!(f.status, Status::SupplementRequested);
        assert_eq!(f.supplement_requests, 1);
        let supplied = Request {
            supplied_components: 1,
            ..Default::default()
        };
        step(
            &mut f,
            Action::Supplement,
            Actor::Applicant,
            supplied,
            "2026-11-26 09:30",
        );
        assert_eq!(f.status, Status::Processing);
        // Paused Tue 15:00 → Thu 09:30: 2h + 8h + 2h.
        assert_eq!(f.paused_seconds, 12 * 3600);
        // The appointment moves from Mon 7 Dec 08:00 by those 12 working hours.
        assert_eq!(f.due_at, Some(t("2026-12-08 13:30")));
        let draft = step(
            &mut f,
            Action::SubmitDraft,
            Actor::Specialist,
            Request::default(),
            "2026-11-30 10:00",
        );
        assert_eq!(draft.step.unwrap().name, "Chuyên viên xử lý");
        step(
            &mut f,
            Action::Approve,
            Actor::Leader,
            Request::default(),
            "2026-12-01 09:00",
        );
        assert_eq!(f.status, Status::Processed);
        assert_eq!(f.finished_at, Some(t("2026-12-01 09:00")));
        step(
            &mut f,
            Action::ReturnResult,
            Actor::Reception,
            Request::default(),
            "2026-12-01 14:00",
        );
        assert_eq!(f.status, Status::Returned);
        assert_eq!(
            f.finished_at,
            Some(t("2026-12-01 09:00")),
            "processing ended at approval"
        );
        assert_eq!(f.step_index, 4);
    }

    #[test]
    fn refusals() {
        let cal = calendar();
        let p = procedure();
        let now = t("2026-11-23 08:00");
        let f = Facts::new(Status::Submitted);
        let refuse = plan(
            &f,
            Action::Refuse,
            Actor::Reception,
            &Request::default(),
            &p,
            &cal,
            now,
        );
        assert!(matches!(
            refuse,
            Err(Refused::Invalid {
                field: "reason",
                ..
            })
        ));
        let approve = plan(
            &f,
            Action::Approve,
            Actor::Leader,
            &Request::default(),
            &p,
            &cal,
            now,
        );
        assert!(matches!(approve, Err(Refused::Illegal(_))));
        let receive = plan(
            &f,
            Action::Receive,
            Actor::Applicant,
            &Request::default(),
            &p,
            &cal,
            now,
        );
        assert!(matches!(receive, Err(Refused::NotAllowed(_))));
        let mut processing = Facts::new(Status::Processing);
        processing.receive(now, &p, &cal);
        let approve = plan(
            &processing,
            Action::Approve,
            Actor::Leader,
            &Request::default(),
            &p,
            &cal,
            now,
        );
        assert!(matches!(approve, Err(Refused::Illegal(_))), "no draft yet");
    }

    #[test]
    fn a_second_supplement_request_makes_the_dossier_late() {
        let mut f = Facts::new(Status::Received);
        f.receive(t("2026-11-23 08:00"), &procedure(), &calendar());
        f.status = Status::Processing;
        for at in ["2026-11-23 09:00", "2026-11-24 09:00"] {
            let missing = Request {
                missing_components: vec![Id::new()],
                ..Default::default()
            };
            step(
                &mut f,
                Action::RequestSupplement,
                Actor::Specialist,
                missing,
                at,
            );
            let supplied = Request {
                supplied_components: 1,
                ..Default::default()
            };
            step(
                &mut f,
                Action::Supplement,
                Actor::Applicant,
                supplied,
                "2026-11-24 08:00",
            );
        }
        assert_eq!(f.supplement_requests, 2);
        let clock = timeliness::Clock {
            due_at: f.due_at,
            finished_at: Some(t("2026-11-25 08:00")),
            paused_at: None,
            supplement_requests: f.supplement_requests,
        };
        assert_eq!(
            timeliness::of_dossier(clock, t("2026-11-25 08:00"), TZ),
            Some(Timeliness::Late)
        );
    }

    #[test]
    fn an_apology_keeps_the_original_appointment_for_timeliness() {
        let mut f = Facts::new(Status::Received);
        f.receive(t("2026-11-23 08:00"), &procedure(), &calendar());
        f.status = Status::Processing;
        let apology = Request {
            reason: Some("Cần xác minh thêm".into()),
            new_due_at: Some(t("2026-12-10 08:00")),
            ..Default::default()
        };
        step(
            &mut f,
            Action::Apology,
            Actor::Leader,
            apology.clone(),
            "2026-12-01 08:00",
        );
        assert_eq!(f.apology_due_at, Some(t("2026-12-10 08:00")));
        assert_eq!(f.due_at, Some(t("2026-12-07 08:00")));
        let again = plan(
            &f,
            Action::Apology,
            Actor::Leader,
            &apology,
            &procedure(),
            &calendar(),
            t("2026-12-02 08:00"),
        );
        assert!(matches!(again, Err(Refused::Illegal(_))), "only once");
        let clock = timeliness::Clock {
            due_at: f.due_at,
            finished_at: Some(t("2026-12-09 08:00")),
            paused_at: None,
            supplement_requests: 0,
        };
        assert_eq!(
            timeliness::of_dossier(clock, t("2026-12-09 08:00"), TZ),
            Some(Timeliness::Late)
        );
    }
}
