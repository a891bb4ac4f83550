//! Fees and online discounts (DOMAIN.md §9): which discount policies apply to a fee item, and
//! what the applicant pays.
//!
//! Rules chosen where the spec is silent, applied per fee item:
//! - A policy applies when it is valid on the date, its channel is the dossier's (or it names
//!   none), and the item falls in its scope: every kind of target it lists (procedure codes,
//!   fields, units, fee item names) must match, any one target of a kind sufficing; a policy
//!   listing no target covers everything. A unit target covers the unit's whole subtree.
//! - A policy either charges a percentage of the fee (50 means half price, 0 waives it) or takes
//!   a fixed amount off (never below zero).
//! - Percentages round **down** to the whole đồng, in the applicant's favour: 50% of 8,001 is
//!   4,000.
//! - Of the matching policies that do not stack, the one most favourable to the applicant (the
//!   lowest charge; the earliest created on a tie) applies. Then every matching stacking policy
//!   applies on top, in the order they were created.

use chrono::NaiveDate;

use super::lifecycle::Channel;

string_enum! {
    /// How a fee was paid: at the counter (cash, bank transfer, card) or online through the
    /// payment gateway.
    pub enum PaymentMethod {
        Cash => "cash",
        BankTransfer => "bank_transfer",
        Card => "card",
        Online => "online",
    }
}

/// What a policy does to a fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Charge this percentage of the fee (0–100).
    Percent(i64),
    /// Take this many VND off the fee.
    Reduction(i64),
}

impl Effect {
    /// The charge after this effect on `amount`.
    pub fn apply(self, amount: i64) -> i64 {
        match self {
            Effect::Percent(percent) => amount * percent / 100,
            Effect::Reduction(reduction) => (amount - reduction).max(0),
        }
    }
}

/// A discount policy, as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy<Id> {
    pub id: Id,
    pub name: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// `None`: every channel.
    pub channel: Option<Channel>,
    pub effect: Effect,
    pub stacking: bool,
    /// Procedure codes; empty: any.
    pub procedures: Vec<String>,
    /// Folded field names; empty: any.
    pub fields: Vec<String>,
    /// Unit paths (a unit covers its subtree); empty: any.
    pub units: Vec<String>,
    /// Folded fee item names; empty: any.
    pub fee_items: Vec<String>,
}

/// Where a fee item is charged.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub date: NaiveDate,
    pub channel: Channel,
    pub procedure_code: &'a str,
    /// The procedure's field, folded.
    pub field: &'a str,
    /// The processing unit's path in the unit tree.
    pub unit_path: &'a str,
}

impl<Id> Policy<Id> {
    /// Whether the policy covers the fee item `item_name` (folded) in `context`.
    pub fn covers(&self, context: &Context<'_>, item_name: &str) -> bool {
        let any = |list: &[String], hit: &dyn Fn(&String) -> bool| {
            list.is_empty() || list.iter().any(hit)
        };
        self.valid_from <= context.date
            && self.valid_to.is_none_or(|to| context.date <= to)
            && self.channel.is_none_or(|c| c == context.channel)
            && any(&self.procedures, &|code| code == context.procedure_code)
            && any(&self.fields, &|field| field == context.field)
            && any(&self.units, &|path| {
                context.unit_path.starts_with(path.as_str())
            })
            && any(&self.fee_items, &|name| name == item_name)
    }
}

/// One fee item's charge.
#[derive(Debug, Clone, PartialEq)]
pub struct Charge<Id> {
    pub base: i64,
    pub charged: i64,
    /// The policies applied, in order.
    pub policies: Vec<Id>,
}

impl<Id> Charge<Id> {
    pub fn discount(&self) -> i64 {
        self.base - self.charged
    }
}

/// The charge of one fee item of `base` VND named `item_name` (folded).
pub fn charge<Id: Clone>(
    base: i64,
    item_name: &str,
    context: &Context<'_>,
    policies: &[Policy<Id>],
) -> Charge<Id> {
    let matching: Vec<&Policy<Id>> = policies
        .iter()
        .filter(|p| p.covers(context, item_name))
        .collect();
    let mut charged = base;
    let mut applied = Vec::new();
    let best = matching
        .iter()
        .filter(|p| !p.stacking)
        .min_by_key(|p| p.effect.apply(base));
    if let Some(best) = best {
        if best.effect.apply(base) < base {
            charged = best.effect.apply(base);
            applied.push(best.id.clone());
        }
    }
    for policy in matching.iter().filter(|p| p.stacking) {
        charged = policy.effect.apply(charged);
        applied.push(policy.id.clone());
    }
    Charge {
        base,
        charged,
        policies: applied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn policy(id: u32, effect: Effect) -> Policy<u32> {
        Policy {
            id,
            name: format!("policy {id}"),
            valid_from: d("2023-01-01"),
            valid_to: None,
            channel: Some(Channel::Online),
            effect,
            stacking: false,
            procedures: vec![],
            fields: vec![],
            units: vec![],
            fee_items: vec![],
        }
    }

    fn context(channel: Channel) -> Context<'static> {
        Context {
            date: d("2026-11-23"),
            channel,
            procedure_code: "1.001193.000.00.00.H55",
            field: "ho tich",
            unit_path: "/aa/bb/",
        }
    }

    #[test]
    fn quang_ngai_halves_fees_online_only() {
        let policies = [policy(1, Effect::Percent(50))];
        let online = charge(8000, "le phi", &context(Channel::Online), &policies);
        assert_eq!(
            (online.charged, online.discount(), online.policies),
            (4000, 4000, vec![1])
        );
        let desk = charge(8000, "le phi", &context(Channel::InPerson), &policies);
        assert_eq!((desk.charged, desk.policies), (8000, vec![]));
    }

    #[test]
    fn effects_and_rounding() {
        let cases = [
            (Effect::Percent(50), 8001, 4000),
            (Effect::Percent(0), 8000, 0),
            (Effect::Percent(100), 8000, 8000),
            (Effect::Percent(33), 100, 33),
            (Effect::Percent(33), 99, 32),
            (Effect::Reduction(3000), 8000, 5000),
            (Effect::Reduction(9000), 8000, 0),
        ];
        for (effect, base, expected) in cases {
            assert_eq!(effect.apply(base), expected, "{effect:?} on {base}");
        }
    }

    #[test]
    fn the_most_favourable_policy_applies_and_stacking_ones_add_up() {
        let half = policy(1, Effect::Percent(50));
        let minus_5000 = policy(2, Effect::Reduction(5000));
        let mut stacking_10 = policy(3, Effect::Percent(90));
        stacking_10.stacking = true;
        let ctx = context(Channel::Online);
        // On 8,000: 8,000 − 5,000 = 3,000 is lower than 50% (4,000) and wins.
        let best = charge(8000, "le phi", &ctx, &[half.clone(), minus_5000.clone()]);
        assert_eq!((best.charged, best.policies.clone()), (3000, vec![2]));
        // On 20,000: 10,000 beats 15,000.
        let best = charge(20000, "le phi", &ctx, &[half.clone(), minus_5000.clone()]);
        assert_eq!((best.charged, best.policies), (10000, vec![1]));
        // A stacking 90% policy applies on top: 10,000 × 90% = 9,000.
        let stacked = charge(
            20000,
            "le phi",
            &ctx,
            &[half, minus_5000, stacking_10.clone()],
        );
        assert_eq!((stacked.charged, stacked.policies), (9000, vec![1, 3]));
        // Alone, it applies on the base.
        let alone = charge(20000, "le phi", &ctx, &[stacking_10]);
        assert_eq!((alone.charged, alone.policies), (18000, vec![3]));
    }

    #[test]
    fn scope_and_validity() {
        let ctx = context(Channel::Online);
        let base = policy(1, Effect::Percent(0));
        let cases: Vec<(&str, Policy<u32>, bool)> = vec![
            ("no target: everything", base.clone(), true),
            (
                "the procedure listed",
                Policy {
                    procedures: vec!["1.001193.000.00.00.H55".into()],
                    ..base.clone()
                },
                true,
            ),
            (
                "another procedure",
                Policy {
                    procedures: vec!["2.000001".into()],
                    ..base.clone()
                },
                false,
            ),
            (
                "the field",
                Policy {
                    fields: vec!["ho tich".into()],
                    ..base.clone()
                },
                true,
            ),
            (
                "a parent unit",
                Policy {
                    units: vec!["/aa/".into()],
                    ..base.clone()
                },
                true,
            ),
            (
                "another unit",
                Policy {
                    units: vec!["/cc/".into()],
                    ..base.clone()
                },
                false,
            ),
            (
                "the fee item",
                Policy {
                    fee_items: vec!["le phi".into()],
                    ..base.clone()
                },
                true,
            ),
            (
                "another fee item",
                Policy {
                    fee_items: vec!["phi tham dinh".into()],
                    ..base.clone()
                },
                false,
            ),
            (
                "field matches, unit does not",
                Policy {
                    fields: vec!["ho tich".into()],
                    units: vec!["/cc/".into()],
                    ..base.clone()
                },
                false,
            ),
            (
                "not yet valid",
                Policy {
                    valid_from: d("2027-01-01"),
                    ..base.clone()
                },
                false,
            ),
            (
                "expired",
                Policy {
                    valid_to: Some(d("2026-11-22")),
                    ..base.clone()
                },
                false,
            ),
            (
                "last valid day",
                Policy {
                    valid_to: Some(d("2026-11-23")),
                    ..base.clone()
                },
                true,
            ),
            (
                "any channel",
                Policy {
                    channel: None,
                    ..base.clone()
                },
                true,
            ),
            (
                "desk only",
                Policy {
                    channel: Some(Channel::InPerson),
                    ..base.clone()
                },
                false,
            ),
        ];
        for (what, policy, expected) in cases {
            assert_eq!(policy.covers(&ctx, "le phi"), expected, "{what}");
        }
    }
}
