//! Flexiti endpoints: each reads its inputs (collecting every field error), authenticates with
//! the scope the catalogue gives it, calls one engine use case and shapes the answer. The
//! money-moving POSTs run under `x-idempotency-key` (docs/flexiti.md Decision 10).

use super::body::{Fields, FxBody, dollars, dollars_number, rate};
use super::messages;
use super::wire::*;
use super::{Access, ErrorBody, Fx, FxError};
use crate::AppState;
use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use openflex_domain::Secret;
use openflex_domain::financing::{self as fin, Province};
use openflex_engine::financing::ledger::{
    AuthorizeRequest, Captured, InStore, Posted, PurchaseType, RefundRequest, Released,
    ReturnRequest, Returned, SideKind, SideRequest,
};
use openflex_engine::financing::onboarding::{Application, ApplicationOutcome, WidgetInit};
use openflex_engine::financing::{
    AccountKey, FxCaller, Scope, Verification, VerifyFormat, VerifyRequest,
};
use openflex_engine::idempotency::{CLAIM_LEASE, KeyClaim, Seal};
use openflex_store::FxListQuery;
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route(
            "/client-id/{client_id}/merchants/login",
            post(merchant_login),
        )
        .route("/client-id/{client_id}/i18n", get(i18n).post(i18n))
        .route("/client-id/{client_id}/terms-and-conditions", get(terms))
        .route("/client-id/{client_id}/customers/search", get(search))
        .route("/client-id/{client_id}/customers/lookup", get(lookup))
        .route(
            "/client-id/{client_id}/customers/driverslicense",
            post(drivers_licence),
        )
        .route(
            "/client-id/{client_id}/account/{account_number}/verify",
            post(verify),
        )
        .route(
            "/client-id/{client_id}/accounts/{account_number}/calculate-interest",
            post(calculate).get(calculate),
        )
        .route(
            "/client-id/{client_id}/accounts/{account_number}/close",
            post(close),
        )
        .route(
            "/client-id/{client_id}/accounts/{account_number}/refund",
            post(refund),
        )
        .route("/client-id/{client_id}/widget/init", post(widget_init))
        .route("/client-id/{client_id}/apply", post(apply))
        .route("/client-id/{client_id}/transactions", post(transactions))
        .route("/client-id/{client_id}/authorization", post(authorize))
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}",
            get(show_authorization),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}/release",
            post(release),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}/capture",
            post(capture),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}/capture/{capture_id}/return",
            post(return_capture),
        )
        .route(
            "/client-id/{client_id}/authorizations",
            get(list_authorizations),
        )
        .route("/client-id/{client_id}/captures", get(list_captures))
        .fallback(not_found)
}

/// Every route under both versions (docs/flexiti.md Decision 1).
pub fn router() -> Router<AppState> {
    Router::new()
        .nest("/flexiti/pos-api/v2.5", routes())
        .nest("/flexiti/pos-api/v2.5.1", routes())
}

async fn not_found(fx: Fx) -> Response {
    fx.error(FxError::code("not_found"))
}

fn ok<T: serde::Serialize>(body: &T) -> Result<Response, FxError> {
    Ok(Json(body).into_response())
}

fn query_map(q: Option<String>) -> HashMap<String, String> {
    q.map(|q| {
        form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

fn query_value(q: &HashMap<String, String>) -> Value {
    Value::Object(
        q.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn done(f: Fields) -> Result<(), FxError> {
    if f.errors.is_empty() {
        Ok(())
    } else {
        Err(FxError::inputs(f.errors))
    }
}

/// An id in the path: a number of at most 16 digits, else the resource cannot exist.
fn path_id(s: &str) -> Result<i64, FxError> {
    if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FxError::code("not_found"));
    }
    s.parse().map_err(|_| FxError::code("not_found"))
}

fn account_path(s: &str) -> Result<String, FxError> {
    if s.is_empty() || s.len() > 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FxError::code("not_found"));
    }
    Ok(s.to_string())
}

fn in_store(f: &mut Fields, required: bool) -> InStore {
    InStore {
        request_id: f.text("request_id", 150, required),
        external_location_id: f.text("external_location_id", 50, required),
        external_employee_id: f.text("external_employee_id", 50, required),
    }
}

/// Runs a money-moving request under its idempotency key, when it has one: a repeat gets the
/// first success again (with a `Warning` when its context hash differs), a request still in
/// flight is 409 `idempotency_in_progress`, and a failure frees the key for a retry. `work`
/// hands the [`Seal`] to the use case, which commits `render`'s answer with the movement; a
/// claim left unanswered by a dead process is therefore one whose movement never committed,
/// and is taken over after the lease.
async fn idempotent<T, R, F, Fut>(
    st: &AppState,
    fx: &Fx,
    c: &FxCaller,
    scope: &str,
    body: &Value,
    render: R,
    work: F,
) -> Result<Response, FxError>
where
    T: 'static,
    R: Fn(&T) -> String + Send + Sync + 'static,
    F: FnOnce(Option<Seal<T>>) -> Fut,
    Fut: std::future::Future<Output = Result<T, FxError>>,
{
    let answer = |text: String| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response()
    };
    let Some(key) = &fx.idempotency_key else {
        return work(None).await.map(|out| answer(render(&out)));
    };
    if key.chars().count() > 255 || fx.context_hash.as_ref().is_some_and(|h| h.len() > 255) {
        return Err(FxError::inputs(vec![super::FieldError {
            param: "x-idempotency-key".into(),
            msg: "too_long".into(),
            value: None,
        }]));
    }
    let hash = fx.context_hash.clone().unwrap_or_else(|| {
        data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(body.to_string().as_bytes()))
    });
    let scope = format!("flexiti:{scope}");
    match st
        .engine
        .claim_key(&c.tenant, &scope, key, &hash, Some(CLAIM_LEASE))
        .await?
    {
        KeyClaim::Replay {
            body, same_hash, ..
        } => {
            let mut resp = answer(body);
            resp.headers_mut()
                .insert("x-idempotency-replayed", HeaderValue::from_static("true"));
            if !same_hash {
                resp.headers_mut().insert(
                    header::WARNING,
                    HeaderValue::from_static(
                        "199 - \"x-context-hash differs from the first request with this key; the first response is returned\"",
                    ),
                );
            }
            Ok(resp)
        }
        KeyClaim::InFlight => Err(FxError::code("idempotency_in_progress")),
        KeyClaim::Fresh(claim) => {
            let render: Arc<dyn Fn(&T) -> String + Send + Sync> = Arc::new(render);
            let seal = Seal {
                claim: claim.clone(),
                render: render.clone(),
            };
            match work(Some(seal)).await {
                Ok(out) => Ok(answer(render(&out))),
                Err(e) => {
                    st.engine.release_key(&c.tenant, &claim).await?;
                    Err(e)
                }
            }
        }
    }
}

/// The wire text of an answer (our views always serialize).
fn json_of<V: serde::Serialize>(v: &V) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// Obtain a 20-minute bearer token: client credentials (body or HTTP Basic), alone or with a
/// refresh token of that client.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/oauth/token", tag = "Flexiti",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = "`client_id`, `client_secret` (or HTTP Basic), `grant_type` (`client_credentials` default | `refresh_token`, which needs the client credentials too), `refresh_token`, `scope` (`merchant` default | `customer`). JSON accepted too. Also served under /v2.5.1."),
    responses((status = 200, body = TokenResponse),
        (status = 400, description = "invalid_client, invalid_request, unsupported_grant_type, invalid_grant", body = ErrorBody),
        (status = 409, description = "invalid_role, wrong_inputs", body = ErrorBody)))]
pub async fn token(State(st): State<AppState>, fx: Fx, body: FxBody) -> Response {
    let r = async {
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let basic = fx
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Basic ")
                    .or_else(|| h.strip_prefix("basic "))
            })
            .and_then(|b| data_encoding::BASE64.decode(b.trim().as_bytes()).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.split_once(':')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
            });
        let grant = f.raw("grant_type").cloned();
        let grant = match grant.as_ref().and_then(Value::as_str).map(str::trim) {
            None => "client_credentials",
            Some("client_credentials") => "client_credentials",
            Some("refresh_token") => "refresh_token",
            Some("password") => return Err(FxError::code("unsupported_grant_type")),
            Some(_) => return Err(FxError::code("invalid_request")),
        };
        let scope = match f.one_of("scope", &["merchant", "customer"], Some("merchant")) {
            Some("customer") => Scope::Customer,
            _ => Scope::Merchant,
        };
        let id = f.text("client_id", 200, false);
        let secret = f.secret("client_secret", 512, false);
        let client = match (id, secret, basic) {
            (Some(i), Some(s), _) => Some((i, s.expose().clone())),
            (None, None, Some(b)) => Some(b),
            _ => None,
        };
        let refresh = (grant == "refresh_token").then(|| f.secret("refresh_token", 200, true));
        // Both grants authenticate the client (RFC 6749 §6 for the refresh).
        let Some((id, secret)) = client else {
            if !f.has("client_id") {
                f.fail("client_id", "required", None);
            }
            if !f.has("client_secret") {
                f.fail("client_secret", "required", None);
            }
            done(f)?;
            return Err(FxError::code("invalid_client"));
        };
        done(f)?;
        let tokens = match refresh {
            Some(refresh) => {
                let refresh = refresh.map(|r| r.expose().clone()).unwrap_or_default();
                st.engine.fx_refresh(&refresh, &id, &secret).await
            }
            None => st.engine.fx_token(&id, &secret, scope).await,
        };
        match tokens {
            Ok(t) => {
                let mut resp = Json(TokenResponse {
                    token_type: "bearer",
                    access_token: t.access_token,
                    expires_in: t.expires_in,
                    refresh_token: t.refresh_token,
                    scope: t.scope.as_str(),
                })
                .into_response();
                resp.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                Ok(resp)
            }
            Err(openflex_engine::financing::FxFail::Refused(r))
                if r.code == "invalid_client" || r.code == "invalid_grant" =>
            {
                Err(fx.auth_failure(&st, r.code))
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    fx.finish(r)
}

/// Deprecated merchant login: the client's own credentials → merchant, form values and plans.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/merchants/login", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`merchant_username` (the client id), `merchant_password` (the client secret)"),
    responses((status = 200, body = LoginResponse), (status = 409, description = "authentication_failure, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn merchant_login(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let user = f.text("merchant_username", 200, true);
        let pass = f.secret("merchant_password", 512, true);
        done(f)?;
        let plans = st
            .engine
            .fx_merchant_login(
                &c,
                &user.unwrap_or_default(),
                pass.as_ref().map(|p| p.expose().as_str()).unwrap_or(""),
            )
            .await?;
        ok(&LoginResponse {
            merchant_name: c.merchant_name.clone(),
            merchant_id: c.tenant.merchant_id.clone(),
            form_values: form_values(),
            offer_types: plans.iter().map(OfferType::from).collect(),
        })
    }
    .await;
    fx.finish(r)
}

const GOVID_TYPES: &[&str] = &["CADL", "CAHC", "CAPID", "CAP", "CAPRC", "CACIT", "CAIND"];

fn form_values() -> FormValues {
    FormValues {
        salutation: vec!["Mr", "Mrs", "Ms", "Miss", "Dr"],
        province: vec![
            "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
        ],
        security_qid: vec![SecurityQuestion {
            id: fin::SANDBOX_SECURITY_QID,
            text: fin::SANDBOX_SECURITY_QUESTION,
        }],
        govid_type: GOVID_TYPES.to_vec(),
    }
}

/// Localisation strings of the customer-facing flows, in `lang`.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/i18n", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query, description = "en (default) or fr")),
    responses((status = 200, body = I18nResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn i18n(State(st): State<AppState>, fx: Fx, Path(client_id): Path<String>) -> Response {
    let r = async {
        fx.auth(&st, &client_id, Access::Customer).await?;
        ok(&I18nResponse {
            lang: fx.lang.as_str(),
            strings: json!(messages::ui_strings(fx.lang)),
        })
    }
    .await;
    fx.finish(r)
}

/// The terms and conditions shown in the apply flow, in `lang`.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/terms-and-conditions", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    responses((status = 200, body = TermsResponse), (status = 401, body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn terms(State(st): State<AppState>, fx: Fx, Path(client_id): Path<String>) -> Response {
    let r = async {
        fx.auth(&st, &client_id, Access::Customer).await?;
        let (version, text) = messages::terms(fx.lang);
        ok(&TermsResponse {
            lang: fx.lang.as_str(),
            version,
            terms_and_conditions: text,
        })
    }
    .await;
    fx.finish(r)
}

/// Find a person's accounts by name and date of birth.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/customers/search", tag = "Flexiti",
    params(("client_id" = String, Path), ("first_name" = String, Query), ("last_name" = String, Query),
        ("dob" = String, Query, description = "YYYY-MM-DD"), ("postal_code" = Option<String>, Query), ("lang" = Option<String>, Query)),
    responses((status = 200, body = [AccountSummary]), (status = 404, description = "not_found", body = ErrorBody),
        (status = 403, description = "insufficient_scope", body = ErrorBody), (status = 409, description = "wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn search(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let q = query_value(&query_map(q));
        let mut f = Fields::of(&q);
        let first = f.text("first_name", 35, true);
        let last = f.text("last_name", 50, true);
        let dob = f.date("dob", true);
        let postal = f.text("postal_code", 7, false);
        done(f)?;
        let accounts = st
            .engine
            .fx_search(
                &c,
                &first.unwrap_or_default(),
                &last.unwrap_or_default(),
                &dob.unwrap_or_default(),
                postal.as_deref(),
            )
            .await?;
        ok(&accounts
            .iter()
            .map(AccountSummary::from)
            .collect::<Vec<_>>())
    }
    .await;
    fx.finish(r)
}

/// One account by card number, account number or customer id, with the plans it may use.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/customers/lookup", tag = "Flexiti",
    params(("client_id" = String, Path), ("vcc_number" = Option<String>, Query), ("account_number" = Option<String>, Query),
        ("customer_id" = Option<String>, Query), ("lang" = Option<String>, Query)),
    responses((status = 200, body = LookupResponse), (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "user_not_able_to_purchase, user_not_active, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn lookup(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let q = query_value(&query_map(q));
        let mut f = Fields::of(&q);
        let given = ["vcc_number", "account_number", "customer_id"]
            .iter()
            .filter(|k| f.has(k))
            .count();
        if given == 0 {
            f.fail("account_number", "one_of_required", None);
        } else if given > 1 {
            f.fail("account_number", "only_one_allowed", None);
        }
        let vcc = f.digits("vcc_number", 16..=16, false, true);
        let number = f.digits("account_number", 1..=14, false, false);
        let customer = f.text("customer_id", 41, false);
        done(f)?;
        let key = match (vcc, number, customer) {
            (Some(v), _, _) => AccountKey::Vcc(Secret::new(v)),
            (_, Some(n), _) => AccountKey::Number(n),
            (_, _, Some(cu)) => AccountKey::Customer(cu),
            _ => return Err(FxError::code("wrong_inputs")),
        };
        let (a, plans) = st.engine.fx_lookup(&c, &key).await?;
        ok(&LookupResponse {
            available_credit: dollars(a.available_credit),
            credit_limit: dollars(a.credit_limit),
            account_number: a.account_number.clone(),
            customer_id: a.customer_id.clone(),
            account_status: a.status.code().into(),
            account_type: a.account_type.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            security_qid: a.security_qid.map(|id| SecurityQuestion {
                id,
                text: fin::SANDBOX_SECURITY_QUESTION,
            }),
            email: a.email.clone(),
            phone_number: a.phone.clone(),
            address_1: a.address_1.clone(),
            address_2: a.address_2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            province: a.province.as_str().into(),
            payment_protection: a.payment_protection,
            risk_rating: a.risk_rating.as_str().into(),
            card_ending_in: a.card_ending_in.clone(),
            offer_types: plans.iter().map(OfferType::from).collect(),
        })
    }
    .await;
    fx.finish(r)
}

/// Prefill an application from the decoded PDF417 barcode of a driver's licence (AAMVA).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/customers/driverslicense", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`barcode_data`: the text a PDF417 scanner decodes from the licence"),
    responses((status = 200, body = LicenceResponse), (status = 409, description = "wrong_inputs (barcode_data invalid)", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn drivers_licence(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    body: FxBody,
) -> Response {
    let r = async {
        fx.auth(&st, &client_id, Access::Customer).await?;
        let v = body.object()?;
        // Barcode text carries the AAMVA separators (LF, RS, CR): read it as is, not as a
        // one-line field.
        let mut f = Fields::of(&v);
        let text = match f.raw("barcode_data") {
            Some(Value::String(s)) if s.chars().count() <= 4000 => s.clone(),
            Some(_) => {
                f.fail("barcode_data", "invalid", None);
                String::new()
            }
            None => {
                f.fail("barcode_data", "required", None);
                String::new()
            }
        };
        done(f)?;
        let l = openflex_domain::aamva::parse(&text).map_err(|_| {
            FxError::inputs(vec![super::FieldError {
                param: "barcode_data".into(),
                msg: "invalid".into(),
                value: None,
            }])
        })?;
        ok(&LicenceResponse {
            first_name: l.first_name,
            middle_name: l.middle_name,
            last_name: l.last_name,
            dob: l.dob,
            expiry_date: l.expiry,
            address_1: l.address_1,
            city: l.city,
            province: l.province,
            postal_code: l.postal_code,
            govid_type: "CADL",
            govid_number_masked: l.licence_number.map(|n| {
                let keep = n.chars().count().saturating_sub(4);
                n.chars()
                    .enumerate()
                    .map(|(i, ch)| if i < keep { '*' } else { ch })
                    .collect()
            }),
        })
    }
    .await;
    fx.finish(r)
}

/// Issue a purchase PIN (sms, email, security question, regular-purchase bypass, override).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/account/{account_number}/verify", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`format` (sms default | email | security_question | regular_purchase_bypass | merchant_override), `request_id` (in-store, ties the PIN to the purchase), `security_qid`, `security_answer`, `vcc_number`"),
    responses((status = 200, body = VerifyResponse),
        (status = 400, description = "sms_not_valid_phone", body = ErrorBody), (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "merchant_override_is_not_allowed, regular_purchase_bypass_is_not_allowed, piw_mismatch, secret_answer_mismatch, user_not_able_to_purchase, user_not_active, vcc_account_mismatch, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn verify(
    State(st): State<AppState>,
    fx: Fx,
    Path((client_id, account)): Path<(String, String)>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Customer).await?;
        let account = account_path(&account)?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let format = f.one_of(
            "format",
            &[
                "sms",
                "email",
                "security_question",
                "regular_purchase_bypass",
                "merchant_override",
            ],
            Some("sms"),
        );
        let vcc = f.digits("vcc_number", 16..=16, false, true);
        let request_id = f.text("request_id", 150, false);
        let format = format.and_then(VerifyFormat::parse);
        let (qid, answer) = if format == Some(VerifyFormat::SecurityQuestion) {
            (
                f.int("security_qid", 1_000_000, true),
                f.secret("security_answer", 100, true),
            )
        } else {
            (None, None)
        };
        done(f)?;
        let out = st
            .engine
            .fx_verify(
                &c,
                &account,
                VerifyRequest {
                    format: format.unwrap_or(VerifyFormat::Sms),
                    vcc: vcc.map(Secret::new),
                    security_qid: qid,
                    security_answer: answer,
                    request_id,
                },
            )
            .await?;
        let code = match out {
            Verification::Code(pin) => pin.parse::<u64>().map(|n| json!(n)).unwrap_or(json!(pin)),
            Verification::Sent(where_) => json!(where_),
        };
        ok(&VerifyResponse {
            verification_code: code,
        })
    }
    .await;
    fx.finish(r)
}

/// Plans, terms and payments for an amount (the customer's rating and province decide).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/accounts/{account_number}/calculate-interest", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`{\"amount\": 234.45}` (GET with a body or `?amount=` also accepted)"),
    responses((status = 200, body = CalculateResponse), (status = 404, body = ErrorBody), (status = 409, description = "wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn calculate(
    State(st): State<AppState>,
    fx: Fx,
    Path((client_id, account)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Customer).await?;
        let account = account_path(&account)?;
        let mut v = body.object()?;
        if let Some(obj) = v.as_object_mut() {
            for (k, val) in query_map(q) {
                if k == "amount" && !obj.contains_key("amount") {
                    obj.insert(k, Value::String(val));
                }
            }
        }
        let mut f = Fields::of(&v);
        let amount = f.money("amount", true);
        done(f)?;
        let amount = amount.unwrap_or_default();
        let calc = st.engine.fx_calculate(&c, &account, amount).await?;
        let a = &calc.account;
        ok(&CalculateResponse {
            account_number: a.account_number.clone(),
            account_type: a.account_type.clone(),
            amount: dollars_number(amount),
            customer: CalcCustomer {
                available_credit: dollars(a.available_credit),
                air: rate(a.risk_rating.regular_air_bp()),
                first_name: a.first_name.clone(),
                last_name: a.last_name.clone(),
                category_type: a.risk_rating.category().as_str(),
            },
            regular_purchase: RegularPurchase {
                term_amount: dollars_number(calc.regular.payment),
                air: rate(calc.regular.apr_bp),
                verify: calc.regular_bypass,
                fees: Vec::new(),
            },
            promotional_purchase: calc
                .offers
                .iter()
                .map(|o| PromotionalPurchase {
                    plan_id: o.plan.plan_id,
                    plan_name: o.plan.name.clone(),
                    offer_category: o.plan.category.as_str(),
                    terms: o.quotes.iter().map(term_quote).collect(),
                })
                .collect(),
        })
    }
    .await;
    fx.finish(r)
}

/// Close an account for good (open authorizations are released); answers `{}`.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/accounts/{account_number}/close", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = String, Path), ("lang" = Option<String>, Query)),
    responses((status = 200, description = "`{}`"), (status = 404, body = ErrorBody), (status = 409, description = "user_not_active (already closed)", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn close(
    State(st): State<AppState>,
    fx: Fx,
    Path((client_id, account)): Path<(String, String)>,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Customer).await?;
        let account = account_path(&account)?;
        st.engine.fx_close(&c, &account).await?;
        ok(&json!({}))
    }
    .await;
    fx.finish(r)
}

const APPLICANT_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "dob",
    "postal_code",
    "email",
    "phone_number",
    "address_1",
    "address_2",
    "city",
    "province",
];

/// Start a hosted widget session (apply or purchase); answers the redirect URL.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/widget/init", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`flow` (purchase | apply), `lang`, `customer_identification{account_number | vcc_number | personal_information{first_name,last_name,dob,postal_code}, account_type}`, and for apply `tos_agreement`, `email`, `phone_number`, `address_1`, `address_2`, `city`, `province`"),
    responses((status = 200, body = WidgetResponse), (status = 404, body = ErrorBody), (status = 409, description = "wrong_inputs, vcc_account_mismatch", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn widget_init(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Customer).await?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let flow = f.one_of("flow", &["purchase", "apply"], None);
        let lang = f.one_of("lang", &["en", "fr"], Some("en"));
        let ident = v.get("customer_identification");
        let mut g = Fields::nested(ident, "customer_identification");
        let account = g.digits("account_number", 1..=14, false, false);
        let vcc = g.digits("vcc_number", 16..=16, false, true);
        g.one_of("account_type", &["consumer", "business"], Some("consumer"));
        let personal = ident.and_then(|i| i.get("personal_information"));
        let mut p = Fields::nested(personal, "customer_identification.personal_information");
        let mut fields = BTreeMap::new();
        if personal.is_some() {
            for (k, max) in [("first_name", 35), ("last_name", 50), ("postal_code", 7)] {
                if let Some(val) = p.text(k, max, true) {
                    fields.insert(k.to_string(), val);
                }
            }
            if let Some(d) = p.date("dob", true) {
                fields.insert("dob".into(), d);
            }
        }
        if flow == Some("purchase") && account.is_none() && vcc.is_none() {
            g.fail("account_number", "one_of_required", None);
        }
        if flow == Some("apply") {
            if personal.is_none() {
                g.fail("personal_information", "required", None);
            }
            if let Some(false) = f.boolean("tos_agreement", true) {
                f.fail("tos_agreement", "must_be_true", Some(&json!(false)));
            }
            for (k, max) in [("email", 100), ("phone_number", 10), ("address_1", 100), ("address_2", 100), ("city", 50)] {
                if let Some(val) = f.text(k, max, false) {
                    fields.insert(k.to_string(), val);
                }
            }
            if let Some(pv) = f.text("province", 2, false) {
                match Province::parse(&pv) {
                    Some(pr) => {
                        fields.insert("province".into(), pr.as_str().into());
                    }
                    None => {
                        let raw = f.raw("province").cloned();
                        f.fail("province", "not_allowed", raw.as_ref());
                    }
                }
            }
        }
        f.errors.extend(g.errors);
        f.errors.extend(p.errors);
        done(f)?;
        let flow = flow.unwrap_or("purchase");
        let session = st
            .engine
            .fx_widget_init(
                &c,
                WidgetInit {
                    flow: flow.to_string(),
                    account_number: account,
                    vcc: vcc.map(Secret::new),
                    fields,
                },
            )
            .await?;
        let scheme = fx.scheme;
        let host: String = fx
            .host
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric() || ".:-[]".contains(*ch))
            .collect();
        let reference = fx.reference_id.clone().unwrap_or_default();
        let url = format!(
            "{scheme}://{host}/#/widget/{client_id}/{}?lang={}&x-reference-id={}&widget_session_id={}",
            session.token,
            lang.unwrap_or("en"),
            form_urlencoded::byte_serialize(reference.as_bytes()).collect::<String>(),
            session.session_id
        );
        ok(&WidgetResponse {
            redirection_url: url,
            widget_session_id: session.session_id,
        })
    }
    .await;
    fx.finish(r)
}

/// Submit a credit application: approved (the account and its card number, shown once),
/// pending review, or declined.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/apply", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`first_name`, `last_name`, `dob`, `email`, `phone_number`, `address_1`, `address_2`, `city`, `province`, `postal_code`, `annual_income`, `tos_agreement` (must be true), `account_type`, `salutation`, `govid_type`, `govid_number`, `security_qid`, `security_answer`, `preferred_language`, `widget_session_id` (online), `request_id`, `external_location_id`, `external_employee_id` (in-store)"),
    responses((status = 200, body = ApplyResponse), (status = 400, description = "general_error (unreadable body)", body = ErrorBody),
        (status = 409, description = "application_create_error, tos_agreement_required, customer_already_exists, application_declined, not_verified, external_location_id_not_found, account_type_not_permitted, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn apply(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Customer).await?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let first = f.text("first_name", 35, true);
        let last = f.text("last_name", 50, true);
        let dob = f.date("dob", true);
        let email = f.text("email", 100, true);
        if let Some(e) = &email
            && (!e.contains('@') || e.starts_with('@') || e.ends_with('@') || e.contains(' '))
        {
            let raw = f.raw("email").cloned();
            f.fail("email", "invalid", raw.as_ref());
        }
        let phone = f.digits("phone_number", 10..=10, true, false);
        let address_1 = f.text("address_1", 100, true);
        let address_2 = f.text("address_2", 100, false);
        let city = f.text("city", 50, true);
        let province = f.text("province", 2, true).and_then(|p| {
            let parsed = Province::parse(&p);
            if parsed.is_none() {
                let raw = f.raw("province").cloned();
                f.fail("province", "not_allowed", raw.as_ref());
            }
            parsed
        });
        let postal = f
            .text("postal_code", 7, true)
            .map(|p| p.replace(' ', "").to_uppercase());
        if let Some(p) = &postal
            && (p.len() != 6 || !p.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            let raw = f.raw("postal_code").cloned();
            f.fail("postal_code", "invalid", raw.as_ref());
        }
        let income = f.money("annual_income", false);
        let tos = f.boolean("tos_agreement", true);
        let account_type = f.one_of("account_type", &["consumer", "business"], Some("consumer"));
        f.one_of("salutation", &["Mr", "Mrs", "Ms", "Miss", "Dr"], Some("Mr"));
        if f.has("govid_type") {
            f.one_of("govid_type", GOVID_TYPES, None);
        }
        f.secret("govid_number", 30, false);
        let qid = f.int("security_qid", 1_000_000, false);
        let answer = f.secret("security_answer", 100, qid.is_some());
        let language = f.one_of("preferred_language", &["en-CA", "fr-CA"], Some("en-CA"));
        let session = f.text("widget_session_id", 64, false);
        let store = in_store(&mut f, false);
        done(f)?;
        let mut comparable = BTreeMap::new();
        for k in APPLICANT_FIELDS {
            if let Some(val) = v.get(*k).and_then(|x| {
                x.as_str()
                    .map(str::trim)
                    .map(str::to_string)
                    .or_else(|| x.as_number().map(|n| n.to_string()))
            }) {
                comparable.insert((*k).to_string(), val);
            }
        }
        if let Some(p) = &postal {
            comparable.insert("postal_code".into(), p.clone());
        }
        if let Some(p) = province {
            comparable.insert("province".into(), p.as_str().into());
        }
        let out = st
            .engine
            .fx_apply(
                &c,
                Application {
                    first_name: first.unwrap_or_default(),
                    last_name: last.unwrap_or_default(),
                    dob: dob.unwrap_or_default(),
                    email: email.unwrap_or_default(),
                    phone: phone.unwrap_or_default(),
                    address_1: address_1.unwrap_or_default(),
                    address_2,
                    city: city.unwrap_or_default(),
                    province: province.unwrap_or(Province::ON),
                    postal_code: postal.unwrap_or_default(),
                    annual_income: income,
                    account_type: account_type.unwrap_or("consumer").to_string(),
                    tos_agreement: tos.unwrap_or(false),
                    security_qid: qid,
                    security_answer: answer,
                    preferred_language: language.unwrap_or("en-CA").to_string(),
                    widget_session_id: session,
                    store,
                    comparable,
                },
            )
            .await?;
        ok(&match out {
            ApplicationOutcome::Approved {
                application_id,
                account,
                vcc_number,
            } => ApplyResponse {
                application_id,
                application_status: "approved",
                customer_id: Some(account.customer_id.clone()),
                account_number: Some(account.account_number.clone()),
                vcc_number: Some(vcc_number.expose().clone()),
                card_ending_in: account.card_ending_in.clone(),
                credit_limit: Some(dollars(account.credit_limit)),
                available_credit: Some(dollars(account.available_credit)),
                risk_rating: Some(account.risk_rating.as_str().into()),
                account_status: Some(account.status.code().into()),
            },
            ApplicationOutcome::Pending { application_id } => ApplyResponse {
                application_id,
                application_status: "pending",
                customer_id: None,
                account_number: None,
                vcc_number: None,
                card_ending_in: None,
                credit_limit: None,
                available_credit: None,
                risk_rating: None,
                account_status: None,
            },
        })
    }
    .await;
    fx.finish(r)
}

/// Read the purchase fields shared by `/authorization` and the legacy `/transactions` types.
fn purchase_fields(
    f: &mut Fields,
    v: &Value,
    purchase_type: Option<PurchaseType>,
    auto_capture_default: Option<bool>,
) -> Option<AuthorizeRequest> {
    let account = f.digits("account_number", 1..=14, true, false);
    let vcc = f.digits("vcc_number", 16..=16, false, true);
    let reference = f.text("reference", 40, false);
    let (purchase, plan_id, term) = match purchase_type {
        Some(p) => (
            Some(p),
            f.int("plan_id", 9_999_999, false),
            f.int("term", 120, false),
        ),
        None => {
            let fo = v.get("financing_option");
            // Without a financing option the purchase is a regular one (nothing to choose).
            let mut g = Fields::nested(fo, "financing_option");
            let t = g
                .one_of(
                    "transaction_type",
                    &["promotional_purchase", "regular_purchase"],
                    if fo.is_none() {
                        Some("regular_purchase")
                    } else {
                        None
                    },
                )
                .and_then(PurchaseType::parse);
            let plan = g.int("plan_id", 9_999_999, false);
            let term = g.int("term", 120, false);
            f.errors.extend(g.errors);
            (t, plan, term)
        }
    };
    let amount = f.money("amount", true);
    let auto_capture = match auto_capture_default {
        Some(d) => Some(f.boolean("auto_capture", false).unwrap_or(d)),
        None => f.boolean("auto_capture", true),
    };
    let code = f.secret("verification_code", 10, false);
    let store = in_store(f, false);
    if store.external_location_id.is_some() {
        if store.request_id.is_none() {
            f.fail("request_id", "required", None);
        }
        if store.external_employee_id.is_none() {
            f.fail("external_employee_id", "required", None);
        }
    }
    let sku = f.object("sku_data", 16 * 1024);
    Some(AuthorizeRequest {
        account_number: account?,
        vcc: vcc.map(Secret::new),
        reference,
        purchase: purchase?,
        plan_id,
        term: term.and_then(|t| u32::try_from(t).ok()),
        amount: amount?,
        auto_capture: auto_capture?,
        verification_code: code,
        store,
        sku_data: sku,
    })
}

fn authorized_view(a: &openflex_engine::financing::ledger::Authorized) -> AuthorizationView {
    let mut view = AuthorizationView::from(&a.authorization);
    view.capture_id = a.capture.as_ref().map(|c| c.id);
    view.available_credit = Some(dollars(a.available_credit));
    view
}

/// A purchase: promotional (plan and term) or regular; `auto_capture` captures it at once.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/authorization", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`account_number`, `vcc_number`, `reference` (≤40), `financing_option{transaction_type, plan_id, term}`, `amount`, `auto_capture` (required), in-store `verification_code`, `request_id`, `external_location_id`, `external_employee_id`, `sku_data`"),
    responses((status = 200, body = AuthorizationView),
        (status = 404, description = "customer_identity_not_found, not_found (card)", body = ErrorBody),
        (status = 409, description = "credit_exceeded, auth_not_allowed, plan_term_not_set, plan_term_not_available, user_not_able_to_purchase, user_not_active, not_verified, wrong_verification_code, verification_code_required, external_location_id_not_found, account_type_not_permitted, vcc_account_mismatch, wrong_inputs, idempotency_in_progress", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn authorize(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Customer).await?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let req = purchase_fields(&mut f, &v, None, None);
        done(f)?;
        let req = req.ok_or(FxError::code("wrong_inputs"))?;
        idempotent(
            &st,
            &fx,
            &c,
            "authorization",
            &v,
            |a| json_of(&authorized_view(a)),
            |seal| async { Ok(st.engine.fx_authorize(&c, req, seal).await?) },
        )
        .await
    }
    .await;
    fx.finish(r)
}

/// An in-store deposit, payment or trade-in (legacy purchase types map to `/authorization`
/// with `auto_capture`).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/transactions", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`transaction_type` (deposit | instore_payment | tradein; legacy promotional_purchase | regular_purchase with plan_id, term), `amount`, one of `account_number`/`vcc_number`/`customer_id`, `verification_code`, `request_id`, `external_location_id`, `external_employee_id`"),
    responses((status = 200, body = TransactionResponse),
        (status = 404, body = ErrorBody),
        (status = 409, description = "invalid_transaction_type, wrong_verification_code, verification_code_required, user_not_active, user_not_able_to_purchase, limit_payment_amount_24, not_enough_credit, not_verified, external_location_id_not_found, account_type_not_permitted, vcc_account_mismatch, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn transactions(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let v = body.object()?;
        let kind_raw = v
            .get("transaction_type")
            .and_then(|t| t.as_str())
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        if kind_raw.is_empty() {
            return Err(FxError::inputs(vec![super::FieldError {
                param: "transaction_type".into(),
                msg: "required".into(),
                value: None,
            }]));
        }
        if let Some(p) = PurchaseType::parse(&kind_raw) {
            let mut f = Fields::of(&v);
            let req = purchase_fields(&mut f, &v, Some(p), Some(true));
            done(f)?;
            let req = req.ok_or(FxError::code("wrong_inputs"))?;
            return idempotent(
                &st,
                &fx,
                &c,
                "transactions",
                &v,
                |a| json_of(&authorized_view(a)),
                |seal| async { Ok(st.engine.fx_authorize(&c, req, seal).await?) },
            )
            .await;
        }
        let Some(kind) = SideKind::parse(&kind_raw) else {
            return Err(FxError::code("invalid_transaction_type"));
        };
        let mut f = Fields::of(&v);
        let amount = f.money("amount", true);
        let number = f.digits("account_number", 1..=14, false, false);
        let vcc = f.digits("vcc_number", 16..=16, false, true);
        let customer = f.text("customer_id", 41, false);
        if number.is_none()
            && vcc.is_none()
            && customer.is_none()
            && f.errors.iter().all(|e| e.param != "account_number")
        {
            f.fail("account_number", "one_of_required", None);
        }
        let code = f.secret("verification_code", 10, false);
        let reference = f.text("reference", 40, false);
        let store = in_store(&mut f, true);
        done(f)?;
        let account_number = match (&number, &vcc, &customer) {
            (Some(n), _, _) => n.clone(),
            (None, Some(v), _) => {
                st.engine
                    .fx_account_number(&c, &AccountKey::Vcc(Secret::new(v.clone())))
                    .await?
            }
            (None, None, Some(cu)) => {
                st.engine
                    .fx_account_number(&c, &AccountKey::Customer(cu.clone()))
                    .await?
            }
            _ => return Err(FxError::code("wrong_inputs")),
        };
        let req = SideRequest {
            kind,
            account_number,
            vcc: if number.is_some() {
                vcc.map(Secret::new)
            } else {
                None
            },
            amount: amount.unwrap_or_default(),
            verification_code: code,
            reference,
            store,
        };
        idempotent(
            &st,
            &fx,
            &c,
            "transactions",
            &v,
            |p: &Posted| {
                json_of(&TransactionResponse {
                    transaction_id: p.transaction_id,
                    transaction_type: p.kind.clone(),
                    account_number: p.account_number.clone(),
                    reference: None,
                    amount: dollars(p.amount),
                    available_credit: dollars(p.available_credit),
                    date: iso(p.created_at),
                })
            },
            |seal| async { Ok(st.engine.fx_post(&c, req, seal).await?) },
        )
        .await
    }
    .await;
    fx.finish(r)
}

/// One authorization with its captures.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/authorization/{authorization_id}", tag = "Flexiti",
    params(("client_id" = String, Path), ("authorization_id" = i64, Path), ("lang" = Option<String>, Query)),
    responses((status = 200, body = AuthorizationView), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn show_authorization(
    State(st): State<AppState>,
    fx: Fx,
    Path((client_id, id)): Path<(String, String)>,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let id = path_id(&id)?;
        let a = st.engine.fx_authorization_get(&c, id).await?;
        ok(&AuthorizationView::from(&a))
    }
    .await;
    fx.finish(r)
}

/// Release (cancel) what remains of an open authorization, or part of it.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/authorization/{authorization_id}/release", tag = "Flexiti",
    params(("client_id" = String, Path), ("authorization_id" = i64, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`reference`, optional `amount` (partial release; the whole remainder when absent)"),
    responses((status = 200, body = ReleaseResponse), (status = 404, body = ErrorBody),
        (status = 409, description = "authorization_not_open, authorization_amount_exceeded, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn release(
    State(st): State<AppState>,
    fx: Fx,
    Path((client_id, id)): Path<(String, String)>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let id = path_id(&id)?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let reference = f.text("reference", 40, false);
        let amount = f.money("amount", false);
        done(f)?;
        idempotent(
            &st,
            &fx,
            &c,
            &format!("release:{id}"),
            &v,
            move |out: &Released| {
                json_of(&ReleaseResponse {
                    authorization_id: id,
                    reference: reference.clone(),
                    released_amount: dollars(out.released_amount),
                    remaining_authorization_amount: dollars(out.authorization.remaining_amount),
                    authorization_status: out.authorization.status.clone(),
                    date: iso(out.authorization.updated_at),
                })
            },
            |seal| async { Ok(st.engine.fx_release(&c, id, amount, seal).await?) },
        )
        .await
    }
    .await;
    fx.finish(r)
}

/// Capture all or part of an authorization (several partial captures allowed).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/authorization/{authorization_id}/capture", tag = "Flexiti",
    params(("client_id" = String, Path), ("authorization_id" = i64, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`amount` (required), `reference`, `sku_data`"),
    responses((status = 200, body = CaptureResponse), (status = 404, body = ErrorBody),
        (status = 409, description = "authorization_not_open, authorization_amount_exceeded, wrong_inputs, idempotency_in_progress", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn capture(
    State(st): State<AppState>,
    fx: Fx,
    Path((client_id, id)): Path<(String, String)>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let id = path_id(&id)?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let reference = f.text("reference", 40, false);
        let amount = f.money("amount", true);
        let sku = f.object("sku_data", 16 * 1024);
        done(f)?;
        let amount = amount.unwrap_or_default();
        idempotent(
            &st,
            &fx,
            &c,
            &format!("capture:{id}"),
            &v,
            move |out: &Captured| {
                json_of(&CaptureResponse {
                    capture_id: out.capture.id,
                    authorization_id: id,
                    reference: out.capture.reference.clone(),
                    amount: dollars(out.capture.amount),
                    financing_cost: dollars(out.capture.financing_cost),
                    date: iso(out.capture.created_at),
                    remaining_authorization_amount: dollars(out.authorization.remaining_amount),
                    authorization_status: out.authorization.status.clone(),
                })
            },
            |seal| async {
                Ok(st
                    .engine
                    .fx_capture(&c, id, amount, reference, sku, seal)
                    .await?)
            },
        )
        .await
    }
    .await;
    fx.finish(r)
}

/// Full or partial return against a promotional capture, within 100 days.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/authorization/{authorization_id}/capture/{capture_id}/return", tag = "Flexiti",
    params(("client_id" = String, Path), ("authorization_id" = i64, Path), ("capture_id" = i64, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`full_return` (bool, required), `amount` (partial), `reference`, `vcc_number`, `sku_data`, in-store `external_location_id`, `external_employee_id`"),
    responses((status = 200, body = ReturnResponse), (status = 404, body = ErrorBody),
        (status = 409, description = "capture_amount_exceeded, return_date_exceeded, wrong_transaction_type, not_permitted, external_location_id_not_found, vcc_account_mismatch, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn return_capture(
    State(st): State<AppState>,
    fx: Fx,
    Path((client_id, auth_id, capture_id)): Path<(String, String, String)>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let auth_id = path_id(&auth_id)?;
        let capture_id = path_id(&capture_id)?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let reference = f.text("reference", 40, false);
        let vcc = f.digits("vcc_number", 16..=16, false, true);
        let full = f.boolean("full_return", true);
        let amount = f.money("amount", full == Some(false));
        let sku = f.object("sku_data", 16 * 1024);
        let store = in_store(&mut f, false);
        done(f)?;
        let req = ReturnRequest {
            full_return: full.unwrap_or(false),
            amount,
            reference,
            vcc: vcc.map(Secret::new),
            store,
            sku_data: sku,
        };
        idempotent(
            &st,
            &fx,
            &c,
            &format!("return:{capture_id}"),
            &v,
            move |out: &Returned| {
                json_of(&ReturnResponse {
                    return_id: out.return_id,
                    reference: out.reference.clone(),
                    capture_id,
                    authorization_id: auth_id,
                    date: iso(out.created_at),
                    amount: dollars(out.amount),
                    remaining_capture_amount: dollars(out.capture.remaining_amount),
                    remaining_authorization_amount: dollars(out.authorization.remaining_amount),
                })
            },
            |seal| async {
                Ok(st
                    .engine
                    .fx_return(&c, auth_id, capture_id, req, seal)
                    .await?)
            },
        )
        .await
    }
    .await;
    fx.finish(r)
}

/// Refund to the account (against a capture, or what the account bought here); answers `{}`.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/accounts/{account_number}/refund", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = String, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`amount` (required), `reference`, `capture_id`, `vcc_number`, `external_location_id`, `external_employee_id`, `sku_data`"),
    responses((status = 200, description = "`{}`"), (status = 404, body = ErrorBody),
        (status = 409, description = "refunds_limit_exceeded_amount, external_location_id_not_found, account_type_not_permitted, vcc_account_mismatch, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn refund(
    State(st): State<AppState>,
    fx: Fx,
    Path((client_id, account)): Path<(String, String)>,
    body: FxBody,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let account = account_path(&account)?;
        let v = body.object()?;
        let mut f = Fields::of(&v);
        let amount = f.money("amount", true);
        let reference = f.text("reference", 40, false);
        let capture_id = f.int("capture_id", 9_999_999_999_999_999, false);
        let vcc = f.digits("vcc_number", 16..=16, false, true);
        let sku = f.object("sku_data", 16 * 1024);
        let store = in_store(&mut f, false);
        done(f)?;
        let req = RefundRequest {
            amount: amount.unwrap_or_default(),
            capture_id,
            reference,
            vcc: vcc.map(Secret::new),
            store,
            sku_data: sku,
        };
        idempotent(
            &st,
            &fx,
            &c,
            &format!("refund:{account}"),
            &v,
            |_: &Posted| "{}".to_string(),
            |seal| async { Ok(st.engine.fx_refund(&c, &account, req, seal).await?) },
        )
        .await
    }
    .await;
    fx.finish(r)
}

/// Filters and paging shared by the two lists.
fn list_query(f: &mut Fields, with_status: bool) -> (FxListQuery, i64, i64) {
    let account_number = f.digits("account_number", 1..=14, false, false);
    let transaction_type = f
        .has("transaction_type")
        .then(|| {
            f.one_of(
                "transaction_type",
                &["promotional_purchase", "regular_purchase"],
                None,
            )
        })
        .flatten();
    let status = if with_status && f.has("authorization_status") {
        f.one_of(
            "authorization_status",
            &["opened", "closed", "released", "expired"],
            None,
        )
    } else {
        None
    };
    let location = f.text("external_location_id", 50, false);
    let authorization_id = if with_status {
        None
    } else {
        f.int("authorization_id", 9_999_999_999_999_999, false)
    };
    let from = f.date("creation_date_from", false);
    let to = f.date("creation_date_to", false);
    let page = f.int("page_number", 1_000_000, false).unwrap_or(1);
    let size = f.int("page_size", 100, false).unwrap_or(20);
    let day = |d: &str| {
        time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .ok()
            .map(|d| openflex_engine::micros(d.midnight().assume_utc()))
    };
    let q = FxListQuery {
        account_number,
        transaction_type: transaction_type.map(str::to_string),
        status: status.map(str::to_string),
        external_location_id: location,
        authorization_id,
        from: from.as_deref().and_then(day),
        // Inclusive of the whole `to` day.
        to: to.as_deref().and_then(day).map(|t| t + 86_400_000_000),
        offset: (page - 1) * size,
        limit: size,
    };
    (q, page, size)
}

/// List authorizations (newest first) with filters and paging.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/authorizations", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = Option<String>, Query), ("transaction_type" = Option<String>, Query),
        ("authorization_status" = Option<String>, Query, description = "opened | closed | released | expired"),
        ("external_location_id" = Option<String>, Query), ("creation_date_from" = Option<String>, Query), ("creation_date_to" = Option<String>, Query),
        ("page_number" = Option<i64>, Query, description = "from 1"), ("page_size" = Option<i64>, Query, description = "1–100, default 20"), ("lang" = Option<String>, Query)),
    responses((status = 200, body = AuthorizationList), (status = 409, description = "wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn list_authorizations(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let q = query_value(&query_map(q));
        let mut f = Fields::of(&q);
        let (query, page, size) = list_query(&mut f, true);
        done(f)?;
        let (rows, total) = st.engine.fx_authorizations(&c, &query).await?;
        ok(&AuthorizationList {
            page_number: page,
            page_size: size,
            total_count: total,
            total_pages: (total + size - 1) / size,
            authorizations: rows.iter().map(AuthorizationView::from).collect(),
        })
    }
    .await;
    fx.finish(r)
}

/// List captures (newest first): per store with `external_location_id`, per account, by dates.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/captures", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = Option<String>, Query), ("transaction_type" = Option<String>, Query),
        ("external_location_id" = Option<String>, Query), ("authorization_id" = Option<i64>, Query),
        ("creation_date_from" = Option<String>, Query), ("creation_date_to" = Option<String>, Query),
        ("page_number" = Option<i64>, Query), ("page_size" = Option<i64>, Query), ("lang" = Option<String>, Query)),
    responses((status = 200, body = CaptureList), (status = 409, description = "wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn list_captures(
    State(st): State<AppState>,
    fx: Fx,
    Path(client_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let c = fx.auth(&st, &client_id, Access::Merchant).await?;
        let q = query_value(&query_map(q));
        let mut f = Fields::of(&q);
        let (query, page, size) = list_query(&mut f, false);
        done(f)?;
        let (rows, total) = st.engine.fx_captures(&c, &query).await?;
        ok(&CaptureList {
            page_number: page,
            page_size: size,
            total_count: total,
            total_pages: (total + size - 1) / size,
            captures: rows.iter().map(CaptureView::from).collect(),
        })
    }
    .await;
    fx.finish(r)
}
