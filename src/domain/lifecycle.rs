//! The dossier lifecycle (DOMAIN.md §6) as one table: [`decide`] says, for a state, an action and
//! the actor's relation to the dossier, which state follows or why the action is refused. The
//! handlers and the tests both use it; a test walks every (state, action, actor) triple.

string_enum! {
    /// A dossier's state. [`Status::national_code`] gives the code of the national portal.
    pub enum Status {
        Submitted => "submitted",
        Received => "received",
        Refused => "refused",
        Processing => "processing",
        SupplementRequested => "supplement_requested",
        AwaitingPayment => "awaiting_payment",
        WithdrawalRequested => "withdrawal_requested",
        Stopped => "stopped",
        Processed => "processed",
        Returned => "returned",
    }
}

impl Status {
    /// The state's code when syncing with the national portal (1 to 10).
    pub fn national_code(self) -> i32 {
        match self {
            Status::Submitted => 1,
            Status::Received => 2,
            Status::Refused => 3,
            Status::Processing => 4,
            Status::SupplementRequested => 5,
            Status::AwaitingPayment => 6,
            Status::WithdrawalRequested => 7,
            Status::Stopped => 8,
            Status::Processed => 9,
            Status::Returned => 10,
        }
    }

    /// Refused, stopped and returned dossiers never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Refused | Status::Stopped | Status::Returned)
    }
}

string_enum! {
    /// How a dossier came in.
    pub enum Channel {
        /// Through the portal or an API client.
        Online => "online",
        /// Brought to the desk.
        InPerson => "in_person",
        /// Sent by the public postal service.
        Postal => "postal",
    }
}

impl Channel {
    /// The channel's code when syncing with the national portal.
    pub fn national_code(self) -> i32 {
        match self {
            Channel::InPerson => 1,
            Channel::Online => 2,
            Channel::Postal => 3,
        }
    }
}

string_enum! {
    /// What can be done to a dossier.
    pub enum Action {
        Receive => "receive",
        Refuse => "refuse",
        RequestSupplement => "request_supplement",
        Supplement => "supplement",
        Transfer => "transfer",
        Assign => "assign",
        RequestPayment => "request_payment",
        ConfirmPayment => "confirm_payment",
        SubmitDraft => "submit_draft",
        Approve => "approve",
        Apology => "apology",
        Withdraw => "withdraw",
        ConfirmWithdrawal => "confirm_withdrawal",
        Stop => "stop",
        ReturnResult => "return_result",
    }
}

/// Who is acting, in relation to the dossier: the decision depends on the role and on the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The citizen whose dossier it is.
    Applicant,
    /// A reception officer of the receiving unit.
    Reception,
    /// A specialist of the processing unit.
    Specialist,
    /// A leader of the processing unit (or of a unit above it).
    Leader,
    /// The service itself, on a payment gateway's signed callback.
    System,
    /// Anyone else who may see the dossier (a supervisor, an official of the other unit).
    Other,
}

impl Actor {
    pub const ALL: [Actor; 6] = [
        Actor::Applicant,
        Actor::Reception,
        Actor::Specialist,
        Actor::Leader,
        Actor::System,
        Actor::Other,
    ];
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The action is not possible in this state (HTTP 409).
    IllegalTransition,
    /// The actor may not take this action (HTTP 403).
    NotAllowed,
}

/// The state an action leads to. `Back` returns to the state remembered when the dossier left it
/// (a supplement returns it to where the supplement was requested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    To(Status),
    Stay,
    Back,
}

/// The rule table. The actor check comes first only where the state allows the action at all, so
/// that an illegal transition is reported as such whoever asks.
pub fn decide(status: Status, action: Action, actor: Actor) -> Result<Next, Refusal> {
    use Action as A;
    use Actor as W;
    use Status as S;
    let (who, next): (&[Actor], Next) = match (action, status) {
        (A::Receive, S::Submitted) => (&[W::Reception], Next::To(S::Received)),
        (A::Refuse, S::Submitted) => (&[W::Reception], Next::To(S::Refused)),
        (A::RequestSupplement, S::Submitted | S::Received) => {
            (&[W::Reception], Next::To(S::SupplementRequested))
        }
        (A::RequestSupplement, S::Processing) => {
            (&[W::Specialist], Next::To(S::SupplementRequested))
        }
        (A::Supplement, S::SupplementRequested) => (&[W::Applicant, W::Reception], Next::Back),
        (A::Transfer, S::Received) => (&[W::Reception], Next::To(S::Processing)),
        (A::Assign, S::Processing) => (&[W::Leader], Next::Stay),
        (A::RequestPayment, S::Processing) => (&[W::Specialist], Next::To(S::AwaitingPayment)),
        (A::ConfirmPayment, S::AwaitingPayment) => (
            &[W::Reception, W::Specialist, W::System],
            Next::To(S::Processing),
        ),
        (A::SubmitDraft, S::Processing) => (&[W::Specialist], Next::Stay),
        (A::Approve, S::Processing) => (&[W::Leader], Next::To(S::Processed)),
        (A::Apology, S::Received | S::Processing | S::SupplementRequested | S::AwaitingPayment) => {
            (&[W::Leader], Next::Stay)
        }
        (
            A::Withdraw,
            S::Submitted
            | S::Received
            | S::Processing
            | S::SupplementRequested
            | S::AwaitingPayment,
        ) => (&[W::Applicant], Next::To(S::WithdrawalRequested)),
        (A::ConfirmWithdrawal, S::WithdrawalRequested) => (&[W::Reception], Next::To(S::Stopped)),
        (
            A::Stop,
            S::Received
            | S::Processing
            | S::SupplementRequested
            | S::AwaitingPayment
            | S::WithdrawalRequested,
        ) => (&[W::Leader], Next::To(S::Stopped)),
        (A::ReturnResult, S::Processed) => (&[W::Reception], Next::To(S::Returned)),
        _ => return Err(Refusal::IllegalTransition),
    };
    if who.contains(&actor) {
        Ok(next)
    } else {
        Err(Refusal::NotAllowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of DOMAIN.md §6 that are allowed; every other triple must be refused.
    const ALLOWED: &[(Status, Action, Actor, Next)] = {
        use Action as A;
        use Actor as W;
        use Status as S;
        &[
            (
                S::Submitted,
                A::Receive,
                W::Reception,
                Next::To(S::Received),
            ),
            (S::Submitted, A::Refuse, W::Reception, Next::To(S::Refused)),
            (
                S::Submitted,
                A::RequestSupplement,
                W::Reception,
                Next::To(S::SupplementRequested),
            ),
            (
                S::Received,
                A::RequestSupplement,
                W::Reception,
                Next::To(S::SupplementRequested),
            ),
            (
                S::Processing,
                A::RequestSupplement,
                W::Specialist,
                Next::To(S::SupplementRequested),
            ),
            (
                S::SupplementRequested,
                A::Supplement,
                W::Applicant,
                Next::Back,
            ),
            (
                S::SupplementRequested,
                A::Supplement,
                W::Reception,
                Next::Back,
            ),
            (
                S::Received,
                A::Transfer,
                W::Reception,
                Next::To(S::Processing),
            ),
            (S::Processing, A::Assign, W::Leader, Next::Stay),
            (
                S::Processing,
                A::RequestPayment,
                W::Specialist,
                Next::To(S::AwaitingPayment),
            ),
            (
                S::AwaitingPayment,
                A::ConfirmPayment,
                W::Reception,
                Next::To(S::Processing),
            ),
            (
                S::AwaitingPayment,
                A::ConfirmPayment,
                W::Specialist,
                Next::To(S::Processing),
            ),
            (
                S::AwaitingPayment,
                A::ConfirmPayment,
                W::System,
                Next::To(S::Processing),
            ),
            (S::Processing, A::SubmitDraft, W::Specialist, Next::Stay),
            (S::Processing, A::Approve, W::Leader, Next::To(S::Processed)),
            (S::Received, A::Apology, W::Leader, Next::Stay),
            (S::Processing, A::Apology, W::Leader, Next::Stay),
            (S::SupplementRequested, A::Apology, W::Leader, Next::Stay),
            (S::AwaitingPayment, A::Apology, W::Leader, Next::Stay),
            (
                S::Submitted,
                A::Withdraw,
                W::Applicant,
                Next::To(S::WithdrawalRequested),
            ),
            (
                S::Received,
                A::Withdraw,
                W::Applicant,
                Next::To(S::WithdrawalRequested),
            ),
            (
                S::Processing,
                A::Withdraw,
                W::Applicant,
                Next::To(S::WithdrawalRequested),
            ),
            (
                S::SupplementRequested,
                A::Withdraw,
                W::Applicant,
                Next::To(S::WithdrawalRequested),
            ),
            (
                S::AwaitingPayment,
                A::Withdraw,
                W::Applicant,
                Next::To(S::WithdrawalRequested),
            ),
            (
                S::WithdrawalRequested,
                A::ConfirmWithdrawal,
                W::Reception,
                Next::To(S::Stopped),
            ),
            (S::Received, A::Stop, W::Leader, Next::To(S::Stopped)),
            (S::Processing, A::Stop, W::Leader, Next::To(S::Stopped)),
            (
                S::SupplementRequested,
                A::Stop,
                W::Leader,
                Next::To(S::Stopped),
            ),
            (S::AwaitingPayment, A::Stop, W::Leader, Next::To(S::Stopped)),
            (
                S::WithdrawalRequested,
                A::Stop,
                W::Leader,
                Next::To(S::Stopped),
            ),
            (
                S::Processed,
                A::ReturnResult,
                W::Reception,
                Next::To(S::Returned),
            ),
        ]
    };

    #[test]
    fn every_triple_follows_the_table() {
        let mut allowed = 0;
        for status in Status::ALL {
            for action in Action::ALL {
                let legal_somehow = ALLOWED
                    .iter()
                    .any(|(s, a, _, _)| s == status && a == action);
                for actor in Actor::ALL {
                    let row = ALLOWED
                        .iter()
                        .find(|(s, a, w, _)| s == status && a == action && *w == actor);
                    let got = decide(*status, *action, actor);
                    match row {
                        Some((_, _, _, next)) => {
                            allowed += 1;
                            assert_eq!(got, Ok(*next), "{status} {action} {actor:?}");
                        }
                        None if legal_somehow => {
                            assert_eq!(got, Err(Refusal::NotAllowed), "{status} {action} {actor:?}")
                        }
                        None => assert_eq!(
                            got,
                            Err(Refusal::IllegalTransition),
                            "{status} {action} {actor:?}"
                        ),
                    }
                }
            }
        }
        assert_eq!(allowed, ALLOWED.len());
    }

    #[test]
    fn terminal_states_allow_nothing() {
        for status in Status::ALL.iter().filter(|s| s.is_terminal()) {
            for action in Action::ALL {
                for actor in Actor::ALL {
                    assert_eq!(
                        decide(*status, *action, actor),
                        Err(Refusal::IllegalTransition)
                    );
                }
            }
        }
    }

    #[test]
    fn national_codes() {
        let codes: Vec<i32> = Status::ALL.iter().map(|s| s.national_code()).collect();
        assert_eq!(codes, (1..=10).collect::<Vec<_>>());
        assert_eq!(Channel::Online.national_code(), 2);
        assert_eq!(Channel::InPerson.national_code(), 1);
        assert_eq!(Channel::Postal.national_code(), 3);
    }
}
