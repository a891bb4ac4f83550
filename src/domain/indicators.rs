//! The arithmetic of the periodic report on dossier handling and of the Decision 766/QĐ-TTg
//! indicators, from counts (DOMAIN.md §7 "Timeliness" and §10 "Reports and indicators").
//!
//! This module owns *what the figures are once the dossiers have been counted*: the shape of the
//! periodic report ([`Counts`]: carried over, received by channel, finished early / on time / late,
//! open in time / overdue, and the digitization, payment, rating and discount counts beside it),
//! its identity (carried over + received = finished + open), the ratios derived from it ([`Rate`]),
//! the satisfaction rate, and the Decision 766 scoring ([`indicators`], [`group_totals`]). It does
//! not decide how a dossier is classified (early, on time, late, overdue: that is the timeliness
//! module's job) nor how the counts are gathered (that is the store's). It is pure: no I/O, no
//! clock, no global state, only `std`.
//!
//! # Rules taken from DOMAIN.md
//!
//! - received = received online + received in person or by post; to handle = carried over +
//!   received; finished = early + on time + late; open = in time + overdue; the identity is
//!   carried over + received = finished + open. Dossiers awaiting reception and dossiers refused at
//!   reception are reported apart and take no part in the identity or in any rate here.
//! - online ratio = received online / received (Hậu Giang 2022: 236,013 of 418,455 = 56.40%);
//!   on-time rate = (early + on time + open in time) / (carried over + received);
//!   digitization ratio = dossiers all digitized with an electronic result / all dossiers;
//!   reuse ratio = dossiers that reused a stored document / dossiers received;
//!   online payment ratio = dossiers paid online / dossiers with a non-zero fee;
//!   satisfaction = 100% − (late rate + rate of dissatisfied ratings).
//! - A zero denominator is "not applicable" (`None`), never 0%.
//! - Decision 766 groups and their maxima: publicity 18, progress 20, digitization 22, online
//!   services 22, satisfaction 18. score = points × min(1, rate / threshold).
//!
//! # Choices made where DOMAIN.md is silent
//!
//! - **THE ONLINE-SUBMISSION RATIO IS WORTH 12 POINTS, IN THE ONLINE SERVICES GROUP.** DOMAIN.md
//!   gives it a threshold (full marks from 50%) but no points. 12 is our choice: with the online
//!   payment ratio's 6 it makes 18 of the group's 22, leaving 4 for what this system cannot compute
//!   (the share of procedures offered online), in the way the other groups keep points for
//!   indicators outside the system. Change [`ONLINE_RATIO_POINTS`] if the province's guidance says
//!   otherwise.
//! - **Groups.** The on-time rate is in *progress*; the electronic results, digitization ratio and
//!   reuse ratio are in *digitization*; the online-submission and online payment ratios are in
//!   *online services*; satisfaction with dossier handling is in *satisfaction*. No computable
//!   indicator belongs to *publicity*.
//! - **Thresholds not given:** the on-time rate's is 100% (DOMAIN.md), and the online payment ratio
//!   and electronic results also score full marks only at 100%: DOMAIN.md names no lower
//!   threshold for them, and "score = points × rate / threshold" with threshold 100% is the plain
//!   proportional reading.
//! - **Electronic results issued** is scored as the rate *electronic results issued / dossiers
//!   finished in the period* ([`Counts::electronic_results_ratio`]). Finished includes stopped and
//!   withdrawn dossiers, which issue no result, so a unit that stops dossiers cannot reach 100%;
//!   and a dossier may issue several results (`-KQ1`, `-KQ2`), so the rate may exceed 100% (it is
//!   shown as computed; the score is capped at the points like every other).
//! - **Late rate** = (finished late + open overdue) / (carried over + received), the same
//!   denominator as the on-time rate, so that on-time rate + late rate = 100% exactly whenever the
//!   identity holds (on the exact fractions; each is rounded on its own for display). This is the
//!   "late rate" in the satisfaction formula.
//! - **Rate of dissatisfied ratings** = dissatisfied / (satisfied + normal + dissatisfied).
//! - **Satisfaction** is computed on the exact fractions and rounded once at the end (not from the
//!   two rounded rates, which could be 0.01 off). When there is nothing to handle *and* no rating
//!   it is `None`. When only one of the two denominators is zero, that term is absent and counts
//!   as 0%: with no ratings, satisfaction = 100% − late rate; with nothing to handle but ratings
//!   (ratings of dossiers from earlier periods), satisfaction = 100% − dissatisfied rate. It is
//!   floored at 0% (both terms together can exceed 100%). As a [`Rate`]
//!   ([`Counts::satisfaction_rate`]) its fraction is, with T to handle, L late, R ratings and D
//!   dissatisfied: (T − L) / T with no ratings, (R − D) / R with nothing to handle, and
//!   (T·R − L·R − D·T) / (T·R) with both, numerator floored at 0; these are not reduced unless
//!   they would not fit in a `u64` (then they are reduced by their greatest common divisor and, if
//!   still too large — beyond 4 billion dossiers and 4 billion ratings — halved together until they
//!   fit, an approximation no real province can reach).
//! - **Rounding of rates:** a percent is rounded to two decimals, half away from zero, on the
//!   *exact* decimal value: it is computed in integers as hundredths of a percent,
//!   `(n × 10 000 × 2 + d) / (2 × d)` done with a remainder so it cannot overflow (u128
//!   throughout), and only then turned into an `f64` (hundredths / 100, the nearest `f64` to the
//!   two-decimal value, so `56.40` compares equal to the literal `56.4`). Rates are not capped at
//!   100%. [`Rate::percent_text`] gives the same value as exact text ("56.40") for exports.
//! - **Scores** are computed from the *rounded* rate shown beside them (so that a reader can
//!   recompute the score from the figures on the page), again in integers: score hundredths =
//!   points × 100 × min(rate hundredths, threshold hundredths) / threshold hundredths, rounded half
//!   away from zero to two decimals. A `None` rate gives a `None` score.
//! - **Group totals** ([`group_totals`]) list the five groups in the order of the decision,
//!   including groups with no computable indicator (publicity: 0 of 0). The scored total sums the
//!   scores of the applicable indicators, and the maximum sums the points of *the applicable
//!   indicators only*: an indicator whose denominator is zero is "not applicable" to the unit (a
//!   unit that charges no fee has no online payment ratio), so it neither scores nor counts in the
//!   maximum. Sums are done in hundredths, so they are exact two-decimal values.
//! - **Scopes of the counts are the caller's.** Which dossiers make up `all_dossiers` (the
//!   digitization ratio's denominator), `digitized_with_result`, `with_fee` and `paid_online`, and
//!   whether ratings are those given in the period, is decided where the counts are gathered;
//!   this module only divides. Every field is additive, so [`Counts`] is a plain field-wise sum
//!   (`+`, `+=`, `Iterator::sum`) and a subtree's rates are computed from its summed counts,
//!   never by averaging its parts' rates.
//! - **Overflow.** [`Counts`] arithmetic (`+`, [`Counts::received`] and the other sums) saturates
//!   at `u64::MAX` instead of panicking; no real count comes near it. [`Counts::identity_holds`]
//!   is computed in `u128` so saturation can never make it look true.

use std::iter::Sum;
use std::ops::{Add, AddAssign};

/// Points of the online-submission ratio: **our choice**, DOMAIN.md gives none (see the module
/// documentation).
pub const ONLINE_RATIO_POINTS: u32 = 12;

/// Declares [`Counts`] with its fields once, so that `+` and [`Counts::fields`] cannot forget one.
macro_rules! counts {
    ($(#[$meta:meta])* pub struct Counts { $($(#[$fmeta:meta])* $field:ident,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct Counts {
            $($(#[$fmeta])* pub $field: u64,)+
        }

        impl Counts {
            /// The field names, in declaration order (for exports and headers).
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            /// Every field with its name, in declaration order.
            pub fn fields(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($field), self.$field)),+]
            }
        }

        impl AddAssign for Counts {
            /// Field-wise sum (saturating): a subtree or a total is the sum of its parts.
            fn add_assign(&mut self, other: Counts) {
                $(self.$field = self.$field.saturating_add(other.$field);)+
            }
        }
    };
}

counts! {
    /// The counts of one unit (or procedure, field, subtree, total) over a reporting period: the
    /// columns of the periodic report and the counts behind the indicators. Every field is a
    /// number of dossiers except the ratings (a number of ratings), `results_issued` (a number of
    /// electronic results) and `discount_vnd` (an amount in VND).
    pub struct Counts {
        /// Dossiers open at the period's start (received before it, not finished before it).
        carried_over,
        /// Dossiers submitted online and received at the desk in the period.
        received_online,
        /// Dossiers brought in person or sent by post, recorded at the desk in the period.
        received_desk,
        /// Finished in the period on a local calendar day before the appointment day.
        finished_early,
        /// Finished in the period on the appointment day, not after the appointment time.
        finished_on_time,
        /// Finished in the period after the appointment (or with more than one supplement request).
        finished_late,
        /// Open at the period's end, the period's end not after the appointment.
        open_in_time,
        /// Open at the period's end, past the appointment.
        open_overdue,
        /// Submitted online, still waiting at the desk at the period's end.
        awaiting_reception,
        /// Of those, waiting longer than 8 working hours.
        awaiting_reception_overdue,
        /// Refused at reception in the period (not counted as received).
        refused,
        /// Dossiers whose components are all digitized and which have an electronic result.
        digitized_with_result,
        /// The denominator of the digitization ratio: all dossiers considered.
        all_dossiers,
        /// Dossiers received in the period that reused a document from the applicant's store.
        reused,
        /// Electronic results issued in the period.
        results_issued,
        /// Dossiers with a non-zero fee.
        with_fee,
        /// Of those, paid online.
        paid_online,
        /// Ratings "satisfied".
        satisfied,
        /// Ratings "normal".
        normal,
        /// Ratings "dissatisfied".
        dissatisfied,
        /// Total fee discount granted, in VND.
        discount_vnd,
        /// Received online at this unit's desk in the period (an intake figure, counted at the
        /// receiving unit; the columns above count at the processing unit).
        intake_online,
        /// Recorded in person or by post at this unit's desk in the period (intake, as above).
        intake_desk,
        /// Processing time of the dossiers finished in the period, in seconds of each
        /// procedure's own kind of time (for the average processing time).
        processing_seconds,
    }
}

impl Add for Counts {
    type Output = Counts;

    /// Field-wise sum (saturating).
    fn add(mut self, other: Counts) -> Counts {
        self += other;
        self
    }
}

impl Sum for Counts {
    fn sum<I: Iterator<Item = Counts>>(iter: I) -> Counts {
        iter.fold(Counts::default(), Add::add)
    }
}

impl<'a> Sum<&'a Counts> for Counts {
    fn sum<I: Iterator<Item = &'a Counts>>(iter: I) -> Counts {
        iter.copied().sum()
    }
}

impl Counts {
    /// Received in the period: online + in person or by post.
    pub fn received(&self) -> u64 {
        self.received_online.saturating_add(self.received_desk)
    }

    /// Finished in the period: early + on time + late.
    pub fn finished(&self) -> u64 {
        self.finished_early
            .saturating_add(self.finished_on_time)
            .saturating_add(self.finished_late)
    }

    /// Open at the period's end: in time + overdue.
    pub fn open(&self) -> u64 {
        self.open_in_time.saturating_add(self.open_overdue)
    }

    /// To handle in the period: carried over + received.
    pub fn to_handle(&self) -> u64 {
        self.carried_over.saturating_add(self.received())
    }

    /// All ratings: satisfied + normal + dissatisfied.
    pub fn ratings(&self) -> u64 {
        self.satisfied
            .saturating_add(self.normal)
            .saturating_add(self.dissatisfied)
    }

    /// Early + on time + open in time: the on-time rate's numerator.
    pub fn in_time(&self) -> u64 {
        self.finished_early
            .saturating_add(self.finished_on_time)
            .saturating_add(self.open_in_time)
    }

    /// Finished late + open overdue: the late rate's numerator.
    pub fn late(&self) -> u64 {
        self.finished_late.saturating_add(self.open_overdue)
    }

    /// The report's identity: carried over + received = finished + open (computed without
    /// overflow).
    pub fn identity_holds(&self) -> bool {
        let to_handle = u128::from(self.carried_over)
            + u128::from(self.received_online)
            + u128::from(self.received_desk);
        let accounted = u128::from(self.finished_early)
            + u128::from(self.finished_on_time)
            + u128::from(self.finished_late)
            + u128::from(self.open_in_time)
            + u128::from(self.open_overdue);
        to_handle == accounted
    }

    /// Online ratio = received online / received.
    pub fn online_ratio(&self) -> Rate {
        Rate::new(self.received_online, self.received())
    }

    /// On-time rate = (early + on time + open in time) / (carried over + received).
    pub fn on_time_rate(&self) -> Rate {
        Rate::new(self.in_time(), self.to_handle())
    }

    /// Late rate = (finished late + open overdue) / (carried over + received): the complement of
    /// the on-time rate when the identity holds.
    pub fn late_rate(&self) -> Rate {
        Rate::new(self.late(), self.to_handle())
    }

    /// Digitization ratio = dossiers all digitized with an electronic result / all dossiers.
    pub fn digitization_ratio(&self) -> Rate {
        Rate::new(self.digitized_with_result, self.all_dossiers)
    }

    /// Reuse ratio = dossiers that reused a stored document / dossiers received.
    pub fn reuse_ratio(&self) -> Rate {
        Rate::new(self.reused, self.received())
    }

    /// Electronic results issued / dossiers finished (may exceed 100% when dossiers issue several
    /// results).
    pub fn electronic_results_ratio(&self) -> Rate {
        Rate::new(self.results_issued, self.finished())
    }

    /// Online payment ratio = dossiers paid online / dossiers with a non-zero fee.
    pub fn online_payment_ratio(&self) -> Rate {
        Rate::new(self.paid_online, self.with_fee)
    }

    /// Rate of dissatisfied ratings = dissatisfied / all ratings.
    pub fn dissatisfied_rate(&self) -> Rate {
        Rate::new(self.dissatisfied, self.ratings())
    }

    /// Satisfaction with dossier handling as an exact fraction: 100% − (late rate + rate of
    /// dissatisfied ratings), floored at 0. `None` when there is nothing to handle and no rating;
    /// a term whose denominator is zero counts as 0% (see the module documentation for the
    /// fraction's form).
    pub fn satisfaction_rate(&self) -> Option<Rate> {
        let handled = u128::from(self.to_handle());
        let late = u128::from(self.late());
        let ratings = u128::from(self.ratings());
        let dissatisfied = u128::from(self.dissatisfied);
        let (numerator, denominator) = match (handled, ratings) {
            (0, 0) => return None,
            (handled, 0) => (handled.saturating_sub(late), handled),
            (0, ratings) => (ratings.saturating_sub(dissatisfied), ratings),
            (handled, ratings) => {
                // Each product is below 2^128; a sum that overflows exceeds the denominator.
                let denominator = handled * ratings;
                let bad = (late * ratings).checked_add(dissatisfied * handled);
                let numerator = bad.map_or(0, |bad| denominator.saturating_sub(bad));
                (numerator, denominator)
            }
        };
        Some(fit_in_u64(numerator, denominator))
    }

    /// Satisfaction as a percent rounded to two decimals (see [`Counts::satisfaction_rate`]).
    pub fn satisfaction(&self) -> Option<f64> {
        self.satisfaction_rate().and_then(|rate| rate.percent())
    }
}

/// A ratio of two counts. A zero denominator means "not applicable", never 0%.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
}

impl Rate {
    pub const fn new(numerator: u64, denominator: u64) -> Rate {
        Rate {
            numerator,
            denominator,
        }
    }

    /// Whether the rate means anything (its denominator is not zero).
    pub fn is_applicable(&self) -> bool {
        self.denominator != 0
    }

    /// The percent in hundredths (5640 for 56.40%), rounded half away from zero on the exact
    /// value; `None` when the denominator is zero.
    pub fn hundredths(&self) -> Option<u128> {
        if self.denominator == 0 {
            return None;
        }
        Some(div_round(
            u128::from(self.numerator) * 10_000,
            u128::from(self.denominator),
        ))
    }

    /// numerator / denominator × 100, rounded to two decimals half away from zero on the exact
    /// value; `None` ("not applicable") when the denominator is zero.
    pub fn percent(&self) -> Option<f64> {
        self.hundredths().map(hundredths_to_f64)
    }

    /// The percent as exact text with two decimals ("56.40", "0.00"); `None` when not applicable.
    pub fn percent_text(&self) -> Option<String> {
        self.hundredths().map(hundredths_text)
    }
}

/// `n / d` rounded half away from zero (all values are non-negative), without overflow.
fn div_round(n: u128, d: u128) -> u128 {
    let (quotient, remainder) = (n / d, n % d);
    if remainder >= d - remainder {
        quotient + 1
    } else {
        quotient
    }
}

/// Two-decimal value from hundredths: the nearest `f64` to it (exact integers below 2^53).
fn hundredths_to_f64(hundredths: u128) -> f64 {
    hundredths as f64 / 100.0
}

fn hundredths_text(hundredths: u128) -> String {
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The fraction as a [`Rate`]: unchanged when it fits, else reduced, else halved until it fits.
fn fit_in_u64(mut numerator: u128, mut denominator: u128) -> Rate {
    let max = u128::from(u64::MAX);
    if denominator > max || numerator > max {
        let divisor = gcd(numerator, denominator).max(1);
        numerator /= divisor;
        denominator /= divisor;
    }
    while denominator > max || numerator > max {
        numerator >>= 1;
        denominator >>= 1;
    }
    // Both fit now. Satisfaction numerators never exceed their denominators, so halving stops
    // with a denominator of at least 2^63; `max(1)` only guards against misuse.
    Rate::new(
        u64::try_from(numerator).unwrap_or(u64::MAX),
        u64::try_from(denominator).unwrap_or(u64::MAX).max(1),
    )
}

/// The five groups of Decision 766/QĐ-TTg (2022), in the decision's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Công khai, minh bạch: 18 points.
    Publicity,
    /// Tiến độ, kết quả giải quyết: 20 points.
    Progress,
    /// Số hóa hồ sơ: 22 points.
    Digitization,
    /// Cung cấp dịch vụ trực tuyến: 22 points.
    OnlineServices,
    /// Mức độ hài lòng: 18 points.
    Satisfaction,
}

impl Group {
    /// Every group, in the decision's order.
    pub const ALL: [Group; 5] = [
        Group::Publicity,
        Group::Progress,
        Group::Digitization,
        Group::OnlineServices,
        Group::Satisfaction,
    ];

    /// The snake_case key, as in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Group::Publicity => "publicity",
            Group::Progress => "progress",
            Group::Digitization => "digitization",
            Group::OnlineServices => "online_services",
            Group::Satisfaction => "satisfaction",
        }
    }

    /// Parses the key.
    pub fn parse(key: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|group| group.key() == key)
    }

    /// English name.
    pub fn name(self) -> &'static str {
        match self {
            Group::Publicity => "Publicity and transparency",
            Group::Progress => "Progress and results of handling",
            Group::Digitization => "Digitization of dossiers",
            Group::OnlineServices => "Online services",
            Group::Satisfaction => "Satisfaction",
        }
    }

    /// Vietnamese name, as in the decision.
    pub fn name_vi(self) -> &'static str {
        match self {
            Group::Publicity => "Công khai, minh bạch",
            Group::Progress => "Tiến độ, kết quả giải quyết",
            Group::Digitization => "Số hóa hồ sơ",
            Group::OnlineServices => "Cung cấp dịch vụ trực tuyến",
            Group::Satisfaction => "Mức độ hài lòng",
        }
    }

    /// The group's maximum in the decision (all indicators, computable here or not): 18, 20, 22,
    /// 22, 18; 100 in all.
    pub fn max_points(self) -> f64 {
        match self {
            Group::Publicity | Group::Satisfaction => 18.0,
            Group::Progress => 20.0,
            Group::Digitization | Group::OnlineServices => 22.0,
        }
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// One Decision 766 indicator for a unit and period: its fraction, rate, threshold and score.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub key: &'static str,
    pub group: Group,
    pub numerator: u64,
    pub denominator: u64,
    /// Percent rounded to two decimals; `None` when not applicable.
    pub rate: Option<f64>,
    /// Percent from which the indicator scores full marks.
    pub threshold: f64,
    pub max_points: f64,
    /// points × min(1, rate / threshold), two decimals; `None` when not applicable.
    pub score: Option<f64>,
}

impl Indicator {
    /// English title (`""` for a key this module does not define).
    pub fn title(&self) -> &'static str {
        spec(self.key).map_or("", |spec| spec.title)
    }

    /// Vietnamese title (`""` for a key this module does not define).
    pub fn title_vi(&self) -> &'static str {
        spec(self.key).map_or("", |spec| spec.title_vi)
    }

    /// Whether the indicator applies (its rate has a non-zero denominator).
    pub fn is_applicable(&self) -> bool {
        self.rate.is_some()
    }
}

/// The definition of a computable indicator.
struct Spec {
    key: &'static str,
    group: Group,
    points: u32,
    /// Whole percent.
    threshold: u32,
    title: &'static str,
    title_vi: &'static str,
    rate: fn(&Counts) -> Option<Rate>,
}

/// The indicators DOMAIN.md §10 lists as computable, in its order.
const SPECS: [Spec; 7] = [
    Spec {
        key: "on_time_rate",
        group: Group::Progress,
        points: 20,
        threshold: 100,
        title: "Dossiers handled on time",
        title_vi: "Tỷ lệ hồ sơ giải quyết đúng hạn",
        rate: |c| Some(c.on_time_rate()),
    },
    Spec {
        key: "online_ratio",
        group: Group::OnlineServices,
        points: ONLINE_RATIO_POINTS,
        threshold: 50,
        title: "Dossiers submitted online",
        title_vi: "Tỷ lệ hồ sơ nộp trực tuyến",
        rate: |c| Some(c.online_ratio()),
    },
    Spec {
        key: "online_payment_ratio",
        group: Group::OnlineServices,
        points: 6,
        threshold: 100,
        title: "Fees paid online",
        title_vi: "Tỷ lệ hồ sơ thanh toán trực tuyến",
        rate: |c| Some(c.online_payment_ratio()),
    },
    Spec {
        key: "electronic_results",
        group: Group::Digitization,
        points: 6,
        threshold: 100,
        title: "Electronic results issued",
        title_vi: "Tỷ lệ cấp kết quả giải quyết điện tử",
        rate: |c| Some(c.electronic_results_ratio()),
    },
    Spec {
        key: "digitization_ratio",
        group: Group::Digitization,
        points: 4,
        threshold: 80,
        title: "Dossiers digitized with an electronic result",
        title_vi: "Tỷ lệ số hóa hồ sơ, kết quả giải quyết",
        rate: |c| Some(c.digitization_ratio()),
    },
    Spec {
        key: "reuse_ratio",
        group: Group::Digitization,
        points: 2,
        threshold: 80,
        title: "Reuse of digitized data",
        title_vi: "Tỷ lệ khai thác, sử dụng lại dữ liệu số hóa",
        rate: |c| Some(c.reuse_ratio()),
    },
    Spec {
        key: "satisfaction",
        group: Group::Satisfaction,
        points: 6,
        threshold: 90,
        title: "Satisfaction with dossier handling",
        title_vi: "Tỷ lệ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính",
        rate: Counts::satisfaction_rate,
    },
];

fn spec(key: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|spec| spec.key == key)
}

/// The keys of the computable indicators, in the order [`indicators`] returns them.
pub const INDICATOR_KEYS: [&str; 7] = [
    "on_time_rate",
    "online_ratio",
    "online_payment_ratio",
    "electronic_results",
    "digitization_ratio",
    "reuse_ratio",
    "satisfaction",
];

/// score hundredths = points × 100 × min(rate, threshold) / threshold, half away from zero.
fn score_hundredths(rate_hundredths: u128, threshold: u32, points: u32) -> u128 {
    let threshold = u128::from(threshold) * 100;
    let capped = rate_hundredths.min(threshold);
    div_round(u128::from(points) * 100 * capped, threshold)
}

/// The Decision 766 indicators this system can compute (DOMAIN.md §10), in DOMAIN.md's order:
/// on-time rate, online-submission ratio, online payment ratio, electronic results issued,
/// digitization ratio, reuse ratio, satisfaction.
pub fn indicators(c: &Counts) -> Vec<Indicator> {
    SPECS
        .iter()
        .map(|spec| {
            let rate = (spec.rate)(c).unwrap_or_default();
            let hundredths = rate.hundredths();
            Indicator {
                key: spec.key,
                group: spec.group,
                numerator: rate.numerator,
                denominator: rate.denominator,
                rate: hundredths.map(hundredths_to_f64),
                threshold: f64::from(spec.threshold),
                max_points: f64::from(spec.points),
                score: hundredths
                    .map(|h| hundredths_to_f64(score_hundredths(h, spec.threshold, spec.points))),
            }
        })
        .collect()
}

/// A two-decimal value back to hundredths (exact for values made by this module).
fn to_hundredths(value: f64) -> i128 {
    (value * 100.0).round() as i128
}

/// For each of the five groups, in the decision's order: (group, points scored, maximum of the
/// applicable computable indicators in it). Indicators that are not applicable (no score) count
/// in neither; a group with none is (group, 0.0, 0.0).
pub fn group_totals(list: &[Indicator]) -> Vec<(Group, f64, f64)> {
    Group::ALL
        .into_iter()
        .map(|group| {
            let (scored, max) = list
                .iter()
                .filter(|indicator| indicator.group == group)
                .filter_map(|indicator| indicator.score.map(|score| (score, indicator.max_points)))
                .fold((0i128, 0i128), |(scored, max), (score, points)| {
                    (scored + to_hundredths(score), max + to_hundredths(points))
                });
            (group, scored as f64 / 100.0, max as f64 / 100.0)
        })
        .collect()
}

/// The overall (scored, maximum) over all groups, as [`group_totals`] counts them.
pub fn total_score(list: &[Indicator]) -> (f64, f64) {
    let (scored, max) = group_totals(list)
        .into_iter()
        .fold((0i128, 0i128), |(scored, max), (_, s, m)| {
            (scored + to_hundredths(s), max + to_hundredths(m))
        });
    (scored as f64 / 100.0, max as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small unit with hand-computed figures (see `fixture_rates` and `fixture_scores`).
    fn unit() -> Counts {
        Counts {
            carried_over: 4,
            received_online: 6,
            received_desk: 10,
            finished_early: 5,
            finished_on_time: 6,
            finished_late: 2,
            open_in_time: 5,
            open_overdue: 2,
            awaiting_reception: 3,
            awaiting_reception_overdue: 1,
            refused: 2,
            digitized_with_result: 9,
            all_dossiers: 20,
            reused: 4,
            results_issued: 10,
            with_fee: 8,
            paid_online: 6,
            satisfied: 7,
            normal: 2,
            dissatisfied: 1,
            discount_vnd: 150_000,
            intake_online: 6,
            intake_desk: 10,
            processing_seconds: 0,
        }
    }

    /// Hậu Giang 2022: 418,455 received, 236,013 online.
    fn hau_giang() -> Counts {
        Counts {
            received_online: 236_013,
            received_desk: 418_455 - 236_013,
            ..Counts::default()
        }
    }

    #[test]
    fn percent_rounds_exactly_half_away_from_zero() {
        let cases: &[(u64, u64, Option<f64>, Option<&str>)] = &[
            (236_013, 418_455, Some(56.40), Some("56.40")),
            (1, 3, Some(33.33), Some("33.33")),
            (2, 3, Some(66.67), Some("66.67")),
            (1, 8, Some(12.5), Some("12.50")),
            (0, 5, Some(0.0), Some("0.00")),
            (5, 5, Some(100.0), Some("100.00")),
            (3, 2, Some(150.0), Some("150.00")),
            (1, 16, Some(6.25), Some("6.25")),
            // Exact ties at the third decimal go up.
            (1, 20_000, Some(0.01), Some("0.01")),
            (201, 20_000, Some(1.01), Some("1.01")),
            (2_001, 200_000, Some(1.0), Some("1.00")), // 1.0005%: not a tie
            // Ties where rounding a float product would go down (14.374999… in f64).
            (23, 160, Some(14.38), Some("14.38")),
            (41, 160, Some(25.63), Some("25.63")),
            (1_001, 8_000, Some(12.51), Some("12.51")),
            // Just under a tie goes down.
            (1, 20_001, Some(0.0), Some("0.00")),
            (1, 80_000, Some(0.0), Some("0.00")),
            (0, 0, None, None),
            (7, 0, None, None),
            (u64::MAX, u64::MAX, Some(100.0), Some("100.00")),
            (u64::MAX - 1, u64::MAX, Some(100.0), Some("100.00")),
        ];
        for &(numerator, denominator, percent, text) in cases {
            let rate = Rate::new(numerator, denominator);
            assert_eq!(rate.percent(), percent, "{numerator}/{denominator}");
            assert_eq!(
                rate.percent_text().as_deref(),
                text,
                "{numerator}/{denominator}"
            );
            assert_eq!(rate.is_applicable(), denominator != 0);
        }
    }

    #[test]
    fn percent_does_not_overflow_on_huge_counts() {
        let rate = Rate::new(u64::MAX, 1);
        assert_eq!(rate.hundredths(), Some(u128::from(u64::MAX) * 10_000));
        assert_eq!(Rate::new(1, u64::MAX).percent(), Some(0.0));
    }

    #[test]
    fn hau_giang_online_ratio_is_56_4_percent() {
        let c = hau_giang();
        assert_eq!(c.received(), 418_455);
        assert_eq!(c.online_ratio(), Rate::new(236_013, 418_455));
        assert_eq!(c.online_ratio().percent(), Some(56.4));
        assert_eq!(c.online_ratio().percent_text().as_deref(), Some("56.40"));
        let online = &indicators(&c)[1];
        assert_eq!(online.key, "online_ratio");
        assert_eq!(online.rate, Some(56.4));
        assert_eq!(online.score, Some(12.0)); // above the 50% threshold: full marks
    }

    #[test]
    fn derived_counts_and_identity() {
        let c = unit();
        assert_eq!(c.received(), 16);
        assert_eq!(c.to_handle(), 20);
        assert_eq!(c.finished(), 13);
        assert_eq!(c.open(), 7);
        assert_eq!(c.ratings(), 10);
        assert_eq!(c.in_time(), 16);
        assert_eq!(c.late(), 4);
        assert!(c.identity_holds());
        assert!(Counts::default().identity_holds());

        let broken = Counts {
            finished_late: 3,
            ..c
        };
        assert!(!broken.identity_holds());
        let refused_and_awaiting_do_not_count = Counts {
            refused: 100,
            awaiting_reception: 50,
            awaiting_reception_overdue: 10,
            ..c
        };
        assert!(refused_and_awaiting_do_not_count.identity_holds());
        // Saturation cannot fake the identity.
        let huge = Counts {
            carried_over: u64::MAX,
            received_online: 5,
            finished_early: u64::MAX,
            ..Counts::default()
        };
        assert!(!huge.identity_holds());
    }

    #[test]
    fn fixture_rates() {
        let c = unit();
        let cases: &[(&str, Rate, Option<f64>)] = &[
            ("online", c.online_ratio(), Some(37.5)),
            ("on time", c.on_time_rate(), Some(80.0)),
            ("late", c.late_rate(), Some(20.0)),
            ("digitization", c.digitization_ratio(), Some(45.0)),
            ("reuse", c.reuse_ratio(), Some(25.0)),
            ("e-results", c.electronic_results_ratio(), Some(76.92)),
            ("payment", c.online_payment_ratio(), Some(75.0)),
            ("dissatisfied", c.dissatisfied_rate(), Some(10.0)),
        ];
        for (name, rate, percent) in cases {
            assert_eq!(rate.percent(), *percent, "{name}");
        }
        assert_eq!(c.on_time_rate(), Rate::new(16, 20));
        assert_eq!(c.late_rate(), Rate::new(4, 20));
        // 100 − (20 + 10)
        assert_eq!(c.satisfaction(), Some(70.0));
        assert_eq!(c.satisfaction_rate(), Some(Rate::new(140, 200)));
    }

    #[test]
    fn on_time_and_late_rates_are_complements() {
        let c = Counts {
            carried_over: 1,
            received_online: 2,
            finished_on_time: 1,
            finished_late: 1,
            open_overdue: 1,
            ..Counts::default()
        };
        assert!(c.identity_holds());
        let (on_time, late) = (c.on_time_rate(), c.late_rate());
        assert_eq!(on_time.numerator + late.numerator, c.to_handle());
        assert_eq!(on_time.percent(), Some(33.33));
        assert_eq!(late.percent(), Some(66.67));
    }

    #[test]
    fn fixture_scores() {
        let list = indicators(&unit());
        type Row = (&'static str, Group, u64, u64, f64, f64, f64, f64);
        let expected: &[Row] = &[
            // key, group, numerator, denominator, rate, threshold, points, score
            (
                "on_time_rate",
                Group::Progress,
                16,
                20,
                80.0,
                100.0,
                20.0,
                16.0,
            ),
            (
                "online_ratio",
                Group::OnlineServices,
                6,
                16,
                37.5,
                50.0,
                12.0,
                9.0,
            ),
            (
                "online_payment_ratio",
                Group::OnlineServices,
                6,
                8,
                75.0,
                100.0,
                6.0,
                4.5,
            ),
            // 6 × 76.92 / 100 = 4.6152
            (
                "electronic_results",
                Group::Digitization,
                10,
                13,
                76.92,
                100.0,
                6.0,
                4.62,
            ),
            // 4 × 45 / 80 = 2.25
            (
                "digitization_ratio",
                Group::Digitization,
                9,
                20,
                45.0,
                80.0,
                4.0,
                2.25,
            ),
            // 2 × 25 / 80 = 0.625: a tie, up
            (
                "reuse_ratio",
                Group::Digitization,
                4,
                16,
                25.0,
                80.0,
                2.0,
                0.63,
            ),
            // 6 × 70 / 90 = 4.666…
            (
                "satisfaction",
                Group::Satisfaction,
                140,
                200,
                70.0,
                90.0,
                6.0,
                4.67,
            ),
        ];
        assert_eq!(list.len(), expected.len());
        for (indicator, &(key, group, num, den, rate, threshold, points, score)) in
            list.iter().zip(expected)
        {
            assert_eq!(indicator.key, key);
            assert_eq!(indicator.group, group, "{key}");
            assert_eq!(
                (indicator.numerator, indicator.denominator),
                (num, den),
                "{key}"
            );
            assert_eq!(indicator.rate, Some(rate), "{key}");
            assert_eq!(indicator.threshold, threshold, "{key}");
            assert_eq!(indicator.max_points, points, "{key}");
            assert_eq!(indicator.score, Some(score), "{key}");
            assert!(indicator.is_applicable());
            assert!(!indicator.title().is_empty() && !indicator.title_vi().is_empty());
        }
        let keys: Vec<&str> = list.iter().map(|indicator| indicator.key).collect();
        assert_eq!(keys, INDICATOR_KEYS);

        assert_eq!(
            group_totals(&list),
            vec![
                (Group::Publicity, 0.0, 0.0),
                (Group::Progress, 16.0, 20.0),
                (Group::Digitization, 7.5, 12.0),
                (Group::OnlineServices, 13.5, 18.0),
                (Group::Satisfaction, 4.67, 6.0),
            ]
        );
        assert_eq!(total_score(&list), (41.67, 56.0));
    }

    #[test]
    fn zero_denominators_are_not_applicable() {
        let list = indicators(&Counts::default());
        assert_eq!(list.len(), 7);
        for indicator in &list {
            assert_eq!(indicator.rate, None, "{}", indicator.key);
            assert_eq!(indicator.score, None, "{}", indicator.key);
            assert_eq!(indicator.denominator, 0, "{}", indicator.key);
            assert!(!indicator.is_applicable());
        }
        for (_, scored, max) in group_totals(&list) {
            assert_eq!((scored, max), (0.0, 0.0));
        }
        assert_eq!(Counts::default().satisfaction(), None);
        assert_eq!(Counts::default().satisfaction_rate(), None);

        // Only the online payment ratio is inapplicable: no fee charged. It leaves the maximum.
        let no_fee = Counts {
            with_fee: 0,
            paid_online: 0,
            ..unit()
        };
        let list = indicators(&no_fee);
        let payment = list
            .iter()
            .find(|i| i.key == "online_payment_ratio")
            .unwrap();
        assert_eq!((payment.rate, payment.score), (None, None));
        assert_eq!(payment.max_points, 6.0);
        assert_eq!(group_totals(&list)[3], (Group::OnlineServices, 9.0, 12.0));
        // A zero rate is applicable and scores 0.
        let nothing_paid = Counts {
            paid_online: 0,
            ..unit()
        };
        let list = indicators(&nothing_paid);
        assert_eq!(list[2].rate, Some(0.0));
        assert_eq!(list[2].score, Some(0.0));
        assert_eq!(group_totals(&list)[3], (Group::OnlineServices, 9.0, 18.0));
    }

    #[test]
    fn thresholds_cap_at_full_marks() {
        let c = Counts {
            carried_over: 0,
            received_online: 80,
            received_desk: 20,
            finished_early: 60,
            finished_on_time: 40,
            digitized_with_result: 90,
            all_dossiers: 100,
            reused: 85,
            results_issued: 150, // several results per dossier: 150%
            with_fee: 10,
            paid_online: 10,
            satisfied: 19,
            normal: 0,
            dissatisfied: 1, // satisfaction 100 − (0 + 5) = 95%
            ..Counts::default()
        };
        assert!(c.identity_holds());
        let list = indicators(&c);
        let rates: Vec<Option<f64>> = list.iter().map(|i| i.rate).collect();
        assert_eq!(
            rates,
            [100.0, 80.0, 100.0, 150.0, 90.0, 85.0, 95.0].map(Some)
        );
        for indicator in &list {
            assert_eq!(
                indicator.score,
                Some(indicator.max_points),
                "{}",
                indicator.key
            );
        }
        assert_eq!(
            group_totals(&list),
            vec![
                (Group::Publicity, 0.0, 0.0),
                (Group::Progress, 20.0, 20.0),
                (Group::Digitization, 12.0, 12.0),
                (Group::OnlineServices, 18.0, 18.0),
                (Group::Satisfaction, 6.0, 6.0),
            ]
        );
        assert_eq!(total_score(&list), (56.0, 56.0));
    }

    #[test]
    fn scores_at_and_around_thresholds() {
        // (rate hundredths, threshold %, points, expected score hundredths)
        let cases: &[(u128, u32, u32, u128)] = &[
            (5_000, 50, 12, 1_200),   // exactly at the threshold
            (4_999, 50, 12, 1_200),   // 11.9976 → 12.00
            (4_990, 50, 12, 1_198),   // 11.976 → 11.98
            (2_500, 50, 12, 600),     // half the threshold, half the points
            (8_000, 80, 4, 400),      // digitization at 80%
            (7_999, 80, 2, 200),      // 1.99975 → 2.00
            (100, 80, 2, 3),          // 0.025 → 0.03 (tie, up)
            (9_000, 90, 6, 600),      // satisfaction at 90%
            (4_500, 90, 6, 300),      // 45% → 3 points
            (0, 100, 20, 0),          // zero rate
            (99_999, 100, 20, 2_000), // far above: capped
        ];
        for &(rate, threshold, points, expected) in cases {
            assert_eq!(
                score_hundredths(rate, threshold, points),
                expected,
                "{rate} of {threshold}% for {points}"
            );
        }
    }

    #[test]
    fn satisfaction_formula() {
        // (to handle, late, satisfied + normal, dissatisfied, expected percent)
        let cases: &[(u64, u64, u64, u64, Option<f64>)] = &[
            (10, 1, 3, 1, Some(65.0)), // 100 − (10 + 25)
            (20, 4, 9, 1, Some(70.0)), // 100 − (20 + 10)
            (20, 4, 0, 0, Some(80.0)), // no ratings: 100 − late rate
            (0, 0, 9, 1, Some(90.0)),  // nothing to handle: 100 − dissatisfied rate
            (0, 0, 0, 0, None),        // neither: not applicable
            (10, 0, 5, 0, Some(100.0)),
            (10, 10, 1, 1, Some(0.0)), // 100 − (100 + 50): floored at 0
            (10, 6, 1, 1, Some(0.0)),  // 100 − (60 + 50)
            (0, 0, 0, 3, Some(0.0)),   // every rating dissatisfied
            // Exact, rounded once: 100 − (33.333… + 33.333…) = 33.333… → 33.33
            // (from the rounded rates it would be 33.34).
            (3, 1, 2, 1, Some(33.33)),
            (3, 0, 2, 1, Some(66.67)),
        ];
        for &(handled, late, content, dissatisfied, expected) in cases {
            let c = Counts {
                received_desk: handled,
                finished_late: late,
                finished_on_time: handled - late,
                satisfied: content,
                dissatisfied,
                ..Counts::default()
            };
            assert!(c.identity_holds());
            assert_eq!(
                c.satisfaction(),
                expected,
                "{handled} {late} {content} {dissatisfied}"
            );
        }
        // Overdue open dossiers are late too.
        let c = Counts {
            carried_over: 10,
            open_overdue: 2,
            open_in_time: 8,
            normal: 4,
            ..Counts::default()
        };
        assert_eq!(c.satisfaction(), Some(80.0));
        // T·R = 40, late 2·4 = 8, dissatisfied 0: 32/40.
        assert_eq!(c.satisfaction_rate(), Some(Rate::new(32, 40)));
        assert_eq!(
            Counts {
                satisfied: 9,
                dissatisfied: 1,
                ..Counts::default()
            }
            .satisfaction_rate(),
            Some(Rate::new(9, 10))
        );
    }

    #[test]
    fn satisfaction_survives_huge_counts() {
        let c = Counts {
            received_online: u64::MAX,
            finished_on_time: u64::MAX - 1,
            finished_late: 1,
            satisfied: u64::MAX - 1,
            dissatisfied: 1,
            ..Counts::default()
        };
        let rate = c.satisfaction_rate().unwrap();
        assert!(rate.denominator > 0);
        assert_eq!(c.satisfaction(), Some(100.0));
        // A late term larger than the whole (a broken identity) floors at 0 rather than wrapping.
        let c = Counts {
            received_online: 1,
            finished_late: u64::MAX,
            dissatisfied: u64::MAX,
            ..Counts::default()
        };
        assert_eq!(c.satisfaction(), Some(0.0));
        // The gcd reduction path: a fraction too large for u64 that reduces exactly.
        assert_eq!(
            fit_in_u64(u128::from(u64::MAX) * 3, u128::from(u64::MAX) * 4),
            Rate::new(3, 4)
        );
    }

    #[test]
    fn add_is_field_wise() {
        let a = unit();
        let b = hau_giang();
        let sum = a + b;
        for ((name, total), ((_, x), (_, y))) in sum
            .fields()
            .into_iter()
            .zip(a.fields().into_iter().zip(b.fields()))
        {
            assert_eq!(total, x + y, "{name}");
        }
        // Spot checks written out by hand, independent of the macro.
        assert_eq!(sum.carried_over, 4);
        assert_eq!(sum.received_online, 236_019);
        assert_eq!(sum.received_desk, 182_452);
        assert_eq!(sum.finished_early, 5);
        assert_eq!(sum.discount_vnd, 150_000);
        assert_eq!(sum.received(), a.received() + b.received());

        let mut acc = a;
        acc += a;
        assert_eq!(acc.finished_late, 4);
        assert_eq!(acc.dissatisfied, 2);
        assert_eq!(acc.awaiting_reception_overdue, 2);
        assert_eq!(acc, a + a);
        assert!(acc.identity_holds());

        let parts = [a, a, Counts::default(), a];
        let total: Counts = parts.iter().sum();
        assert_eq!(total, a + a + a);
        assert_eq!(parts.into_iter().sum::<Counts>(), total);
        assert_eq!(a + Counts::default(), a);
        // Rates of a sum are not sums of rates, but the sum's rates come from the summed counts.
        assert_eq!(total.on_time_rate(), Rate::new(48, 60));

        assert_eq!(Counts::FIELDS.len(), 24);
        assert_eq!(Counts::FIELDS[0], "carried_over");
        assert_eq!(Counts::FIELDS[20], "discount_vnd");
        let saturated = Counts {
            discount_vnd: u64::MAX,
            ..Counts::default()
        } + a;
        assert_eq!(saturated.discount_vnd, u64::MAX);
    }

    #[test]
    fn groups() {
        let total: f64 = Group::ALL.iter().map(|g| g.max_points()).sum();
        assert_eq!(total, 100.0);
        let maxima: Vec<f64> = Group::ALL.iter().map(|g| g.max_points()).collect();
        assert_eq!(maxima, [18.0, 20.0, 22.0, 22.0, 18.0]);
        for group in Group::ALL {
            assert_eq!(Group::parse(group.key()), Some(group));
            assert_eq!(group.to_string(), group.key());
            assert!(!group.name().is_empty() && !group.name_vi().is_empty());
        }
        assert_eq!(Group::OnlineServices.key(), "online_services");
        assert_eq!(Group::parse("nope"), None);
        // The computable indicators never exceed their group's maximum.
        for group in Group::ALL {
            let points: u32 = SPECS
                .iter()
                .filter(|s| s.group == group)
                .map(|s| s.points)
                .sum();
            assert!(f64::from(points) <= group.max_points(), "{group}");
        }
    }
}
