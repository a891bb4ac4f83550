//! Fees: discount policies (administrators), quotes before submitting, each dossier's frozen fee
//! with its payments, the printable fee receipt, and the payment gateway's signed callback.

use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::dossiers::visible_dossier;
use super::extract::{double_option, not_blank, List, ListParams, ValidJson};
use crate::auth::Principal;
use crate::db::{self, DbConn};
use crate::domain::accounts::Role;
use crate::domain::fees::{charge, Context, PaymentMethod};
use crate::domain::lifecycle::{Action, Actor, Channel, Status};
use crate::domain::text::fold;
use crate::domain::workflow::Request;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::dossiers::{Applied, Dossier};
use crate::store::fees::{DossierFee, FeePolicy, Payment, PolicyDetail, Target};
use crate::store::procedures::ProcedureDetail;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_policy)
        .service(list_policies)
        .service(get_policy)
        .service(update_policy)
        .service(fee_quote)
        .service(fee_receipt)
        .service(payment_callback);
}

/// Which fees a policy covers; every list left empty covers everything of its kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Procedure codes (every version of each).
    #[serde(default)]
    #[validate(length(max = 500))]
    pub procedure_codes: Vec<String>,
    /// Fields (lĩnh vực), compared without diacritics.
    #[serde(default)]
    #[validate(length(max = 100))]
    pub fields: Vec<String>,
    /// Units; each covers its subtree.
    #[serde(default)]
    #[validate(length(max = 500))]
    pub unit_ids: Vec<Id>,
    /// Fee item names (e.g. "Lệ phí"), compared without diacritics.
    #[serde(default)]
    #[validate(length(max = 100))]
    pub fee_items: Vec<String>,
}

impl Scope {
    fn targets(&self, policy: Id) -> Vec<Target> {
        let target = |kind: &str, value: String| Target {
            policy_id: policy,
            kind: kind.to_string(),
            value,
        };
        let mut targets: Vec<Target> = Vec::new();
        targets.extend(
            self.procedure_codes
                .iter()
                .map(|c| target("procedure", c.trim().to_ascii_uppercase())),
        );
        targets.extend(self.fields.iter().map(|f| target("field", fold(f))));
        targets.extend(self.unit_ids.iter().map(|u| target("unit", u.to_string())));
        targets.extend(self.fee_items.iter().map(|f| target("fee_item", fold(f))));
        targets.sort_by(|a, b| (&a.kind, &a.value).cmp(&(&b.kind, &b.value)));
        targets.dedup();
        targets
    }

    fn of(targets: &[Target]) -> Scope {
        let of = |kind: &str| -> Vec<String> {
            targets
                .iter()
                .filter(|t| t.kind == kind)
                .map(|t| t.value.clone())
                .collect()
        };
        Scope {
            procedure_codes: of("procedure"),
            fields: of("field"),
            unit_ids: of("unit").iter().filter_map(|v| v.parse().ok()).collect(),
            fee_items: of("fee_item"),
        }
    }
}

/// A discount policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub id: Id,
    pub name: String,
    /// The act that decides it, e.g. the council's resolution.
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// The channel it applies to; null for every channel.
    pub channel: Option<Channel>,
    /// The percentage of the fee to charge (50: half price, 0: waived); null for a reduction.
    pub percent: Option<i64>,
    /// A fixed reduction in VND; null for a percentage.
    pub reduction: Option<i64>,
    /// Whether it applies on top of the most favourable policy instead of competing with it.
    pub stacking: bool,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PolicyDetail> for PolicyView {
    fn from(d: PolicyDetail) -> Self {
        let p = d.policy;
        let percent = p.effect == "percent";
        PolicyView {
            id: p.id,
            name: p.name,
            legal_basis: p.legal_basis,
            valid_from: p.valid_from,
            valid_to: p.valid_to,
            channel: p.channel.as_deref().and_then(Channel::parse),
            percent: percent.then_some(p.amount),
            reduction: (!percent).then_some(p.amount),
            stacking: p.stacking,
            scope: Scope::of(&d.targets),
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        }
    }
}

/// A policy's terms: give either `percent` or `reduction`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "check_policy"))]
pub struct PolicyInput {
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 1000))]
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// Usually `online`; omit for every channel.
    pub channel: Option<Channel>,
    /// The percentage of the fee to charge, 0 to 100.
    #[validate(range(min = 0, max = 100))]
    pub percent: Option<i64>,
    /// A fixed reduction in VND.
    #[validate(range(min = 1, max = 1_000_000_000_000i64))]
    pub reduction: Option<i64>,
    #[serde(default)]
    pub stacking: bool,
    #[serde(default)]
    #[validate(nested)]
    pub scope: Scope,
}

fn check_policy(input: &PolicyInput) -> Result<(), ValidationError> {
    let fail = |code: &'static str, message: &'static str| {
        let mut e = ValidationError::new(code);
        e.message = Some(message.into());
        Err(e)
    };
    if input.percent.is_some() == input.reduction.is_some() {
        return fail("percent", "give either percent or reduction");
    }
    if input.valid_to.is_some_and(|to| to < input.valid_from) {
        return fail("valid_to", "valid_to is before valid_from");
    }
    Ok(())
}

impl PolicyInput {
    fn policy(&self, id: Id, created_at: chrono::NaiveDateTime) -> FeePolicy {
        let (effect, amount) = match (self.percent, self.reduction) {
            (Some(percent), _) => ("percent", percent),
            (None, reduction) => ("reduction", reduction.unwrap_or(0)),
        };
        FeePolicy {
            id,
            name: self.name.trim().to_string(),
            legal_basis: self.legal_basis.trim().to_string(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            channel: self.channel.map(|c| c.as_str().to_string()),
            effect: effect.to_string(),
            amount,
            stacking: self.stacking,
            created_at,
            updated_at: db::now(),
        }
    }
}

/// Add a discount policy (administrators).
#[utoipa::path(
    tag = "fees",
    request_body = PolicyInput,
    responses(
        (status = 201, description = "The new policy", body = PolicyView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 422, description = "Invalid fields or an unknown unit"),
    ),
    security(("bearer" = []))
)]
#[post("/fee-policies")]
async fn create_policy(
    state: web::Data<AppState>,
    who: Principal,
    body: ValidJson<PolicyInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let input = body.0;
    let id = Id::new();
    let policy = input.policy(id, db::now());
    let targets = input.scope.targets(id);
    let detail = state
        .db(move |conn| Ok(store::fees::create(conn, &policy, &targets)?))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/fee-policies/{id}")))
        .json(PolicyView::from(detail)))
}

/// List discount policies (administrators).
#[utoipa::path(
    tag = "fees",
    params(ListParams),
    responses(
        (status = 200, description = "A page of policies", body = List<PolicyView>),
        (status = 400, description = "Invalid query parameters"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
    ),
    security(("bearer" = []))
)]
#[get("/fee-policies")]
async fn list_policies(
    state: web::Data<AppState>,
    who: Principal,
    list: web::Query<ListParams>,
) -> Result<web::Json<List<PolicyView>>, ApiError> {
    who.require(&[Role::Admin])?;
    let page = list.page(&state.config.limits)?;
    let (rows, next) = state
        .db(move |conn| Ok(store::fees::list(conn, page)?))
        .await?;
    Ok(web::Json(List::new(
        rows.into_iter().map(PolicyView::from).collect(),
        next,
    )))
}

/// One discount policy (administrators).
#[utoipa::path(
    tag = "fees",
    params(("id" = Id, Path, description = "The policy's id")),
    responses(
        (status = 200, description = "The policy", body = PolicyView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such policy"),
    ),
    security(("bearer" = []))
)]
#[get("/fee-policies/{id}")]
async fn get_policy(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<web::Json<PolicyView>, ApiError> {
    who.require(&[Role::Admin])?;
    let id = id.into_inner();
    let detail = state
        .db(move |conn| Ok(store::fees::get(conn, id)?))
        .await?;
    Ok(web::Json(detail.into()))
}

/// The fields of a policy to change; those left out stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyPatch {
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    pub name: Option<String>,
    #[validate(length(max = 1000))]
    pub legal_basis: Option<String>,
    pub valid_from: Option<NaiveDate>,
    /// `null` makes the policy open-ended.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub valid_to: Option<Option<NaiveDate>>,
    /// `null` makes it apply to every channel.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Channel>)]
    pub channel: Option<Option<Channel>>,
    /// Switches the policy to charging this percentage.
    #[validate(range(min = 0, max = 100))]
    pub percent: Option<i64>,
    /// Switches the policy to this fixed reduction.
    #[validate(range(min = 1, max = 1_000_000_000_000i64))]
    pub reduction: Option<i64>,
    pub stacking: Option<bool>,
    /// Replaces the whole scope.
    #[validate(nested)]
    pub scope: Option<Scope>,
}

/// Change some of a policy's terms (administrators). Dossiers already submitted keep the fee
/// they were given.
#[utoipa::path(
    tag = "fees",
    params(("id" = Id, Path, description = "The policy's id")),
    request_body = PolicyPatch,
    responses(
        (status = 200, description = "The policy as changed", body = PolicyView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such policy"),
        (status = 422, description = "Invalid fields, both percent and reduction, a window ending before it starts, or an unknown unit"),
    ),
    security(("bearer" = []))
)]
#[patch("/fee-policies/{id}")]
async fn update_policy(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    body: ValidJson<PolicyPatch>,
) -> Result<web::Json<PolicyView>, ApiError> {
    who.require(&[Role::Admin])?;
    let id = id.into_inner();
    let patch = body.0;
    if patch.percent.is_some() && patch.reduction.is_some() {
        return Err(ApiError::invalid_field(
            "percent",
            "percent",
            "give either percent or reduction",
        ));
    }
    let detail = state
        .db(move |conn| {
            let mut policy = store::fees::get(conn, id)?.policy;
            if let Some(name) = patch.name {
                policy.name = name.trim().to_string();
            }
            if let Some(basis) = patch.legal_basis {
                policy.legal_basis = basis.trim().to_string();
            }
            if let Some(from) = patch.valid_from {
                policy.valid_from = from;
            }
            if let Some(to) = patch.valid_to {
                policy.valid_to = to;
            }
            if let Some(channel) = patch.channel {
                policy.channel = channel.map(|c| c.as_str().to_string());
            }
            if let Some(percent) = patch.percent {
                (policy.effect, policy.amount) = ("percent".to_string(), percent);
            }
            if let Some(reduction) = patch.reduction {
                (policy.effect, policy.amount) = ("reduction".to_string(), reduction);
            }
            if let Some(stacking) = patch.stacking {
                policy.stacking = stacking;
            }
            if policy.valid_to.is_some_and(|to| to < policy.valid_from) {
                return Err(ApiError::invalid_field(
                    "valid_to",
                    "valid_to",
                    "valid_to is before valid_from",
                ));
            }
            policy.updated_at = db::now();
            let targets = patch.scope.map(|scope| scope.targets(id));
            Ok(store::fees::update(conn, &policy, targets.as_deref())?)
        })
        .await?;
    Ok(web::Json(detail.into()))
}

/// A policy applied to a fee item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppliedPolicy {
    pub id: Id,
    pub name: String,
}

/// One fee item: its base amount, the discount and what is charged.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeeLine {
    pub fee_item_id: Id,
    pub name: String,
    pub base: i64,
    pub discount: i64,
    pub charged: i64,
    /// The policies behind the discount, in the order applied.
    pub policies: Vec<AppliedPolicy>,
}

/// The fee of a procedure on a channel and a date, item by item.
pub fn quote(
    conn: &mut DbConn,
    procedure: &ProcedureDetail,
    channel: Channel,
    date: NaiveDate,
    processing_unit: Id,
) -> Result<Vec<FeeLine>, ApiError> {
    let policies = store::fees::in_force(conn, date, channel)?;
    let unit_path = store::units::find(conn, processing_unit)?
        .map(|u| u.path)
        .unwrap_or_default();
    let context = Context {
        date,
        channel,
        procedure_code: &procedure.procedure.code,
        field: &procedure.procedure.field_key,
        unit_path: &unit_path,
    };
    Ok(procedure
        .fees
        .iter()
        .map(|fee| {
            let c = charge(fee.amount, &fold(&fee.name), &context, &policies);
            FeeLine {
                fee_item_id: fee.id,
                name: fee.name.clone(),
                base: c.base,
                discount: c.discount(),
                charged: c.charged,
                policies: c
                    .policies
                    .iter()
                    .filter_map(|id| policies.iter().find(|p| p.id == *id))
                    .map(|p| AppliedPolicy {
                        id: p.id,
                        name: p.name.clone(),
                    })
                    .collect(),
            }
        })
        .collect())
}

/// The frozen rows of a quote, for a new dossier.
pub fn freeze(dossier: Id, lines: &[FeeLine]) -> Vec<DossierFee> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| DossierFee {
            dossier_id: dossier,
            position: i as i32 + 1,
            fee_item_id: line.fee_item_id,
            name: line.name.clone(),
            base_amount: line.base,
            charged_amount: line.charged,
            policies: serde_json::to_string(&line.policies).unwrap_or_else(|_| "[]".into()),
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteView {
    pub procedure_id: Id,
    pub channel: Channel,
    pub date: NaiveDate,
    pub processing_unit_id: Id,
    pub items: Vec<FeeLine>,
    pub base_total: i64,
    pub discount_total: i64,
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuoteQuery {
    /// `online` (the default), `in_person` or `postal`.
    pub channel: Option<Channel>,
    /// The day of submission (default today).
    pub date: Option<NaiveDate>,
    /// The processing unit (default: the procedure's only applying unit).
    pub unit_id: Option<Id>,
}

/// What a procedure would cost, item by item with the discounts, so that the saving of going
/// online is visible before submitting.
#[utoipa::path(
    tag = "fees",
    params(("id" = Id, Path, description = "The procedure's id"), QuoteQuery),
    responses(
        (status = 200, description = "The quote", body = QuoteView),
        (status = 400, description = "Invalid query parameters"),
        (status = 404, description = "No such procedure"),
        (status = 422, description = "The unit does not apply the procedure, or several do and none was chosen"),
    )
)]
#[get("/procedures/{id}/fee-quote")]
async fn fee_quote(
    state: web::Data<AppState>,
    id: web::Path<Id>,
    query: web::Query<QuoteQuery>,
) -> Result<web::Json<QuoteView>, ApiError> {
    let id = id.into_inner();
    let q = query.into_inner();
    let channel = q.channel.unwrap_or(Channel::Online);
    let date = q.date.unwrap_or_else(|| {
        Utc::now()
            .with_timezone(&state.config.time_zone)
            .date_naive()
    });
    let view = state
        .db(move |conn| {
            let procedure = store::procedures::get(conn, id)?;
            let unit = match q.unit_id {
                Some(unit) if procedure.unit_ids.contains(&unit) => unit,
                None if procedure.unit_ids.len() == 1 => procedure.unit_ids[0],
                _ => {
                    return Err(ApiError::invalid_field(
                        "unit_id",
                        "not_applying",
                        "choose one of the units that apply the procedure",
                    ))
                }
            };
            let items = quote(conn, &procedure, channel, date, unit)?;
            Ok(QuoteView {
                procedure_id: id,
                channel,
                date,
                processing_unit_id: unit,
                base_total: items.iter().map(|i| i.base).sum(),
                discount_total: items.iter().map(|i| i.discount).sum(),
                total: items.iter().map(|i| i.charged).sum(),
                items,
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// A payment made for a dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub amount: i64,
    /// `cash`, `bank_transfer` or `card` at the counter; `online` through the gateway.
    pub method: String,
    pub receipt_number: Option<String>,
    pub transaction_id: Option<String>,
    pub paid_at: DateTime<Utc>,
}

/// A dossier's fee, frozen at submission, and what was paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierFeeView {
    pub items: Vec<FeeLine>,
    pub base_total: i64,
    pub discount_total: i64,
    pub total: i64,
    pub paid: i64,
    /// What is still due.
    pub outstanding: i64,
    /// Whether the fee was paid online.
    pub paid_online: bool,
    pub payments: Vec<PaymentView>,
}

/// A dossier's fee from its frozen fee lines and its payments.
pub fn fee_view(rows: Vec<store::fees::DossierFee>, payments: Vec<Payment>) -> DossierFeeView {
    let items: Vec<FeeLine> = rows
        .into_iter()
        .map(|r| FeeLine {
            fee_item_id: r.fee_item_id,
            name: r.name,
            base: r.base_amount,
            discount: r.base_amount - r.charged_amount,
            charged: r.charged_amount,
            policies: serde_json::from_str(&r.policies).unwrap_or_default(),
        })
        .collect();
    let total: i64 = items.iter().map(|i| i.charged).sum();
    let paid: i64 = payments.iter().map(|p| p.amount).sum();
    DossierFeeView {
        base_total: items.iter().map(|i| i.base).sum(),
        discount_total: items.iter().map(|i| i.discount).sum(),
        total,
        paid,
        outstanding: (total - paid).max(0),
        paid_online: paid > 0
            && payments
                .iter()
                .all(|p| p.method == PaymentMethod::Online.as_str()),
        payments: payments
            .into_iter()
            .map(|p| PaymentView {
                amount: p.amount,
                method: p.method,
                receipt_number: p.receipt_number,
                transaction_id: p.transaction_id,
                paid_at: p.paid_at.and_utc(),
            })
            .collect(),
        items,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeeReceiptView {
    pub dossier_id: Id,
    pub code: Option<String>,
    pub applicant_name: String,
    pub procedure_name: String,
    pub fee: DossierFeeView,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptFormat {
    /// `html` (the default, printable) or `json`.
    #[param(pattern = "^(html|json)$")]
    pub format: Option<String>,
}

/// The fee receipt (biên lai): the fee item by item, the discounts and the payments.
#[utoipa::path(
    tag = "fees",
    params(("id" = Id, Path, description = "The dossier's id"), ReceiptFormat),
    responses(
        (status = 200, description = "The receipt: a printable page, or JSON with format=json", content(
            (String = "text/html"),
            (FeeReceiptView = "application/json"),
        )),
        (status = 400, description = "An unknown format"),
        (status = 401, description = "No valid access token"),
        (status = 404, description = "No such dossier, or not one the caller may see"),
    ),
    security(("bearer" = []))
)]
#[get("/dossiers/{id}/fee-receipt")]
async fn fee_receipt(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    query: web::Query<ReceiptFormat>,
) -> Result<HttpResponse, ApiError> {
    let json = match query.format.as_deref() {
        None | Some("html") => false,
        Some("json") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "format is html or json.",
            ))
        }
    };
    let id = id.into_inner();
    let receipt = state
        .db(move |conn| {
            let d = visible_dossier(conn, &who, id)?;
            let procedure = store::procedures::get(conn, d.procedure_id)?;
            Ok(FeeReceiptView {
                dossier_id: d.id,
                code: d.code.clone(),
                applicant_name: d.applicant_full_name.clone(),
                procedure_name: procedure.procedure.name.clone(),
                fee: {
                    let details = store::dossiers::details(conn, id)?;
                    fee_view(details.fees, details.payments)
                },
            })
        })
        .await?;
    if json {
        return Ok(HttpResponse::Ok().json(receipt));
    }
    let vnd = |amount: i64| {
        let digits = amount.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('.');
            }
            out.push(c);
        }
        format!("{out} đ")
    };
    let rows: String = receipt
        .fee
        .items
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                super::dossiers::escape(&i.name),
                vnd(i.base),
                vnd(i.discount),
                vnd(i.charged)
            )
        })
        .collect();
    let payments: String = receipt
        .fee
        .payments
        .iter()
        .map(|p| {
            format!(
                "<li>{} — {} ({}{})</li>",
                p.paid_at.format("%d/%m/%Y %H:%M UTC"),
                vnd(p.amount),
                if p.method == "online" {
                    "trực tuyến"
                } else {
                    "tại quầy"
                },
                p.receipt_number
                    .as_deref()
                    .map(|n| format!(", biên lai số {}", super::dossiers::escape(n)))
                    .unwrap_or_default()
            )
        })
        .collect();
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Biên lai phí, lệ phí</title>
<style>body{{font-family:"Times New Roman",serif;max-width:48em;margin:2em auto}}h1{{text-align:center;font-size:1.3em}}td,th{{padding:.2em .6em;border:1px solid #999}}table{{border-collapse:collapse}}</style>
</head><body>
<h1>BIÊN LAI THU PHÍ, LỆ PHÍ</h1>
<p>Hồ sơ: <strong>{code}</strong> — {procedure}</p>
<p>Người nộp: {applicant}</p>
<table><tr><th>Khoản</th><th>Mức thu</th><th>Miễn giảm</th><th>Phải nộp</th></tr>{rows}
<tr><th>Tổng</th><th>{base}</th><th>{discount}</th><th>{total}</th></tr></table>
<p>Đã nộp: {paid}; còn phải nộp: {outstanding}</p><ul>{payments}</ul>
</body></html>
"#,
        code = super::dossiers::escape(receipt.code.as_deref().unwrap_or("—")),
        procedure = super::dossiers::escape(&receipt.procedure_name),
        applicant = super::dossiers::escape(&receipt.applicant_name),
        base = vnd(receipt.fee.base_total),
        discount = vnd(receipt.fee.discount_total),
        total = vnd(receipt.fee.total),
        paid = vnd(receipt.fee.paid),
        outstanding = vnd(receipt.fee.outstanding),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// A payment gateway's notice that a dossier's fee was paid online. The raw body is signed:
/// `X-Signature: <hex HMAC-SHA256 of the body with the configured secret>`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentNotice {
    /// The gateway's transaction id; a notice sent again with the same id changes nothing.
    pub transaction_id: String,
    pub dossier_id: Id,
    /// The amount paid, in VND: exactly what is due.
    pub amount: i64,
    pub paid_at: DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentAck {
    pub dossier_id: Id,
    pub transaction_id: String,
    /// The dossier's state after the payment.
    pub status: Status,
    /// False when this notice repeated one already recorded.
    pub recorded: bool,
}

/// Record an online payment (the payment gateway's signed callback). When the dossier was
/// waiting for it, processing resumes.
#[utoipa::path(
    tag = "fees",
    request_body = PaymentNotice,
    params(("X-Signature" = String, Header, description = "Hex HMAC-SHA256 of the raw body with the shared secret")),
    responses(
        (status = 200, description = "Recorded, or recorded before", body = PaymentAck),
        (status = 401, description = "A missing or wrong signature"),
        (status = 404, description = "No such dossier, or online payment is not configured"),
        (status = 409, description = "Nothing is due, or the transaction id was used for another payment"),
        (status = 422, description = "The amount is not what is due"),
    )
)]
#[post("/payments/callback")]
async fn payment_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<PaymentAck>, ApiError> {
    let secret = state.config.payment_secret.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "payments_not_configured",
            "Online payment is not configured on this service.",
        )
    })?;
    let signature = req
        .headers()
        .get("X-Signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hex::decode(v.trim()).ok());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(ApiError::internal)?;
    mac.update(&body);
    if signature.is_none_or(|s| mac.verify_slice(&s).is_err()) {
        tracing::warn!("payment callback refused: bad signature");
        return Err(ApiError::unauthorized(
            "invalid_signature",
            "The payment notice's signature does not verify.",
        ));
    }
    let notice: PaymentNotice = serde_json::from_slice(&body).map_err(|e| {
        ApiError::unprocessable(
            "invalid_body",
            format!("The payment notice does not fit: {e}."),
        )
    })?;
    let config = state.config.clone();
    let ack = state
        .db(move |conn| {
            // A copy of the same notice racing in concurrently makes an attempt lose (a
            // duplicate transaction id, or the dossier changed under it): the next attempt
            // answers as for a repeat.
            let mut attempt = 0;
            loop {
                attempt += 1;
                match db::write(conn, |conn| record_online_payment(conn, &notice, &config)) {
                    Err(e)
                        if attempt < 3 && matches!(e.code, "already_exists" | "stale_version") => {}
                    other => return other,
                }
            }
        })
        .await?;
    Ok(web::Json(ack))
}

/// Records an online payment; runs inside one write transaction, the dossier's row locked first
/// so that concurrent copies of a notice are decided one after the other.
fn record_online_payment(
    conn: &mut DbConn,
    notice: &PaymentNotice,
    config: &crate::config::Config,
) -> Result<PaymentAck, ApiError> {
    store::dossiers::lock(conn, notice.dossier_id)?;
    let ack = |status: Status, recorded: bool| PaymentAck {
        dossier_id: notice.dossier_id,
        transaction_id: notice.transaction_id.clone(),
        status,
        recorded,
    };
    if let Some(existing) = store::fees::payment_by_transaction(conn, &notice.transaction_id)? {
        if existing.dossier_id != notice.dossier_id || existing.amount != notice.amount {
            tracing::warn!(transaction = %notice.transaction_id, "payment callback refused: transaction id reused");
            return Err(ApiError::conflict(
                "transaction_reused",
                "This transaction id was recorded for another payment.",
            ));
        }
        let dossier = store::dossiers::find(conn, notice.dossier_id)?
            .ok_or_else(|| ApiError::not_found("Dossier"))?;
        return Ok(ack(dossier.status(), false));
    }
    let Some(dossier) = store::dossiers::find(conn, notice.dossier_id)? else {
        tracing::warn!(dossier = %notice.dossier_id, "payment callback refused: unknown dossier");
        return Err(ApiError::not_found("Dossier"));
    };
    if matches!(dossier.status(), Status::Refused | Status::Stopped) {
        tracing::warn!(dossier = %dossier.id, "payment callback refused: the dossier is closed");
        return Err(ApiError::conflict(
            "dossier_closed",
            "The dossier was refused or stopped: nothing can be paid for it.",
        ));
    }
    let procedure = store::procedures::get(conn, dossier.procedure_id)?;
    if !procedure.procedure.online_payment {
        tracing::warn!(dossier = %dossier.id, "payment callback refused: no online payment for this procedure");
        return Err(ApiError::conflict(
            "online_payment_not_offered",
            "This procedure's fees are not paid online.",
        ));
    }
    if notice.paid_at.with_timezone(&Utc) > Utc::now() + chrono::TimeDelta::minutes(5) {
        return Err(ApiError::invalid_field(
            "paid_at",
            "future",
            "is in the future",
        ));
    }
    let (charged, paid) = store::fees::balance(conn, dossier.id)?;
    let due = charged - paid;
    if due <= 0 {
        tracing::warn!(dossier = %dossier.id, "payment callback refused: nothing is due");
        return Err(ApiError::conflict(
            "nothing_due",
            "Nothing is due on this dossier.",
        ));
    }
    if notice.amount != due {
        tracing::warn!(dossier = %dossier.id, amount = notice.amount, due, "payment callback refused: wrong amount");
        return Err(ApiError::unprocessable(
            "wrong_amount",
            format!("The amount due is {due} VND."),
        ));
    }
    let now = db::now().and_utc();
    let payment = Payment {
        id: Id::new(),
        dossier_id: dossier.id,
        amount: notice.amount,
        method: PaymentMethod::Online.as_str().to_string(),
        receipt_number: None,
        transaction_id: Some(notice.transaction_id.clone()),
        paid_at: notice.paid_at.naive_utc(),
        recorded_by: None,
        created_at: now.naive_utc(),
    };
    if dossier.status() != Status::AwaitingPayment {
        store::fees::record_payment(conn, &payment)?;
        store::reports::track(conn, &dossier, config.time_zone)?;
        return Ok(ack(dossier.status(), true));
    }
    let after = resume_after_payment(conn, &dossier, &procedure, payment, config, now)?;
    Ok(ack(after.status(), true))
}

/// Records the payment and resumes processing, as the service itself.
fn resume_after_payment(
    conn: &mut DbConn,
    dossier: &Dossier,
    procedure: &ProcedureDetail,
    payment: Payment,
    config: &crate::config::Config,
    now: DateTime<Utc>,
) -> Result<Dossier, ApiError> {
    let outcome = super::actions::plan(
        conn,
        dossier,
        procedure,
        Action::ConfirmPayment,
        Actor::System,
        &Request {
            amount_due: payment.amount,
            ..Default::default()
        },
        config,
        now,
    )?;
    let receiving = store::units::require(conn, dossier.receiving_unit_id)?;
    let details = serde_json::json!({"transaction_id": payment.transaction_id, "amount": payment.amount, "method": "online"});
    let (after, _) = store::dossiers::apply_within(
        conn,
        dossier,
        Applied {
            action: Action::ConfirmPayment.as_str(),
            actor_id: None,
            note: None,
            details,
            outcome,
            components: Vec::new(),
            payment: Some(payment),
            also: None,
            receiving_unit_code: receiving.code,
            tz: config.time_zone,
            now,
            notify: config.notifications.channels(),
        },
    )?;
    Ok(after)
}
