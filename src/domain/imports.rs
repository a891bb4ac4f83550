//! Legacy dossiers brought in from a province's former system: their timestamped history of
//! status changes, checked against the lifecycle table and replayed through the same planner as
//! native actions, so that an imported dossier has the same clock (appointment, pauses, late
//! mark, overdue moment, processing time) and counts in the reports exactly like a native one.
//!
//! # Choices made where the issue is silent
//!
//! - Each change of status is the action of the lifecycle table that makes it (received →
//!   processing is a transfer, processing → processed an approval, …), taken by the actor the
//!   table allows; statuses that no action reaches from the previous one are refused.
//! - The appointment given with a legacy dossier is the one on its receipt; supplements move it
//!   later as they do for native dossiers. Without one, it is computed from the procedure.
//! - Legacy systems record no draft: an approval is taken as made on a draft.
//! - Times must not go backwards, and none may lie in the future.

use chrono::{DateTime, Utc};

use super::calendar::WorkingCalendar;
use super::lifecycle::{decide, Action, Actor, Channel, Next, Status};
use super::workflow::{self, Facts, Procedure, Request};
use crate::id::Id;

/// One change of status in a legacy history.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub status: Status,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// A step replayed: the action that made the change (`None` for the first, the submission or
/// the desk's record) and the control sheet's judgement of the step it closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Replayed {
    pub action: Option<Action>,
    pub from: Option<Status>,
    pub change: Change,
    pub step: Option<workflow::StepJudgement>,
}

/// Why a history is refused: the index of the change at fault and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub index: usize,
    pub message: String,
}

fn refuse(index: usize, message: impl Into<String>) -> Refusal {
    Refusal {
        index,
        message: message.into(),
    }
}

/// The action that takes a dossier from `from` to `to` (with `resume` the state a supplement or
/// a withdrawal returns to), and the actor allowed to take it.
fn action_between(from: Status, to: Status, resume: Option<Status>) -> Option<(Action, Actor)> {
    Action::ALL.iter().find_map(|&action| {
        Actor::ALL
            .iter()
            .find_map(|&actor| match decide(from, action, actor) {
                Ok(Next::To(next)) if next == to => Some((action, actor)),
                Ok(Next::Back) if resume.unwrap_or(Status::Received) == to => Some((action, actor)),
                _ => None,
            })
    })
}

/// Replays a legacy history on a dossier of `channel`, as of `now`. The first change is the
/// online submission (`submitted`) or the desk's record (`received`). Returns the dossier's
/// facts and each step.
pub fn replay(
    channel: Channel,
    history: &[Change],
    appointment: Option<DateTime<Utc>>,
    procedure: &Procedure,
    calendar: &WorkingCalendar,
    now: DateTime<Utc>,
) -> Result<(Facts, Vec<Replayed>), Refusal> {
    let first = history
        .first()
        .ok_or_else(|| refuse(0, "a history has at least its first status"))?;
    let start = match channel {
        Channel::Online => Status::Submitted,
        Channel::InPerson | Channel::Postal => Status::Received,
    };
    if first.status != start {
        return Err(refuse(
            0,
            format!("a {channel} dossier's history starts with {start}"),
        ));
    }
    let mut facts = Facts::new(start);
    if start == Status::Received {
        facts.receive(first.at, procedure, calendar);
        if let Some(due) = appointment {
            facts.due_at = Some(due);
            facts.overdue_at = Some(due);
        }
    }
    let mut steps = vec![Replayed {
        action: None,
        from: None,
        change: first.clone(),
        step: None,
    }];
    for (index, change) in history.iter().enumerate() {
        if change.at > now {
            return Err(refuse(index, "lies in the future"));
        }
        if index == 0 {
            continue;
        }
        if change.at < history[index - 1].at {
            return Err(refuse(index, "is earlier than the change before it"));
        }
        let from = facts.status;
        let Some((action, actor)) = action_between(from, change.status, facts.resume_status) else {
            return Err(refuse(
                index,
                format!("a dossier that is {from} cannot become {}", change.status),
            ));
        };
        if action == Action::Approve {
            facts.draft_submitted = true;
        }
        let request = Request {
            note: change.note.clone(),
            reason: Some(change.note.clone().unwrap_or_else(|| "imported".into())),
            missing_components: vec![Id(uuid::Uuid::nil())],
            supplied_components: 1,
            amount_due: 1,
            ..Request::default()
        };
        let outcome = workflow::plan(
            &facts, action, actor, &request, procedure, calendar, change.at,
        )
        .map_err(|refused| {
            refuse(
                index,
                match refused {
                    workflow::Refused::Illegal(m) | workflow::Refused::NotAllowed(m) => m,
                    workflow::Refused::Invalid { field, message } => format!("{field}: {message}"),
                },
            )
        })?;
        facts = outcome.facts;
        if action == Action::Receive {
            if let Some(due) = appointment {
                facts.due_at = Some(due);
                facts.overdue_at = Some(due);
            }
        }
        steps.push(Replayed {
            action: Some(action),
            from: Some(from),
            change: change.clone(),
            step: outcome.step,
        });
    }
    Ok((facts, steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::TimeUnit;
    use chrono::TimeZone;

    const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn t(s: &str) -> DateTime<Utc> {
        let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        TZ.from_local_datetime(&local).unwrap().with_timezone(&Utc)
    }

    fn change(status: Status, at: &str) -> Change {
        Change {
            status,
            at: t(at),
            note: None,
        }
    }

    fn run(channel: Channel, history: &[Change]) -> Result<(Facts, Vec<Replayed>), Refusal> {
        let calendar = WorkingCalendar::new(TZ, Default::default(), []);
        let procedure = Procedure {
            amount: 3,
            unit: TimeUnit::WorkingDays,
            steps: Vec::new(),
        };
        replay(
            channel,
            history,
            None,
            &procedure,
            &calendar,
            t("2026-12-01 00:00"),
        )
    }

    #[test]
    fn a_whole_life_replays_with_its_clock() {
        use Status as S;
        let history = [
            change(S::Submitted, "2026-03-02 08:00"),
            change(S::Received, "2026-03-02 09:00"),
            change(S::Processing, "2026-03-02 10:00"),
            change(S::SupplementRequested, "2026-03-03 08:00"),
            change(S::Processing, "2026-03-04 08:00"),
            change(S::Processed, "2026-03-06 16:00"),
            change(S::Returned, "2026-03-09 08:00"),
        ];
        let (facts, steps) = run(Channel::Online, &history).unwrap();
        assert_eq!(facts.status, S::Returned);
        assert_eq!(facts.received_at, Some(t("2026-03-02 09:00")));
        // Due Thursday 09:00, moved by the day paused: Friday 09:00; processed Friday 16:00.
        assert_eq!(facts.due_at, Some(t("2026-03-06 09:00")));
        assert_eq!(facts.finished_at, Some(t("2026-03-06 16:00")));
        assert_eq!(facts.supplement_requests, 1);
        let actions: Vec<Option<Action>> = steps.iter().map(|s| s.action).collect();
        assert_eq!(
            actions,
            [
                None,
                Some(Action::Receive),
                Some(Action::Transfer),
                Some(Action::RequestSupplement),
                Some(Action::Supplement),
                Some(Action::Approve),
                Some(Action::ReturnResult)
            ]
        );
    }

    #[test]
    fn impossible_histories_are_refused_at_the_change_at_fault() {
        use Status as S;
        let cases: &[(Channel, Vec<Change>, usize)] = &[
            // Returned before it was received.
            (
                Channel::Online,
                vec![
                    change(S::Submitted, "2026-03-02 08:00"),
                    change(S::Returned, "2026-03-03 08:00"),
                ],
                1,
            ),
            // A desk dossier does not start submitted.
            (
                Channel::InPerson,
                vec![change(S::Submitted, "2026-03-02 08:00")],
                0,
            ),
            // Time goes backwards.
            (
                Channel::InPerson,
                vec![
                    change(S::Received, "2026-03-02 08:00"),
                    change(S::Processing, "2026-03-01 08:00"),
                ],
                1,
            ),
            // In the future.
            (
                Channel::InPerson,
                vec![change(S::Received, "2027-03-02 08:00")],
                0,
            ),
            (Channel::InPerson, vec![], 0),
        ];
        for (channel, history, index) in cases {
            let refusal = run(*channel, history).unwrap_err();
            assert_eq!(refusal.index, *index, "{history:?}: {refusal:?}");
        }
    }
}
