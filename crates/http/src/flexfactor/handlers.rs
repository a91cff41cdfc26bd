use super::body::{Errors, Node, canonical};
use super::wire::*;
use super::{BadRequest, ProblemDetails, internal, problem, validation};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use openflex_domain::card::{self, Expiry};
use openflex_domain::money::{self, Currency};
use openflex_engine::flexfactor::auth::{BearerError, FfCaller};
use openflex_engine::flexfactor::{CardInput, EvaluateRequest, OrderOutcome, OrderRef};
use openflex_engine::idempotency::KeyClaim;
use openflex_engine::{Mode, Tenant};
use openflex_store::OrderQuery;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/oauth2/token", post(token))
        .route("/v1/tokenize", post(tokenize))
        .route("/v1/evaluate", post(evaluate))
        .route("/v1/transmit", post(transmit))
        .route("/v1/outcome", post(outcome))
        .route("/v1/capture", post(capture))
        .route("/v1/orders", get(list_orders))
        .route("/v1/orders/{id}", get(show_order))
        .route("/v1/orders/{id}/refund", post(refund))
        .route("/v1/orders/{id}/cancel", post(cancel))
        .route("/v1/orders/{id}/external-cancel", post(external_cancel))
}

/// A caller authenticated by `Authorization: Bearer <accessToken>`.
pub struct FfAuth(pub FfCaller);

impl FromRequestParts<AppState> for FfAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = crate::bearer_token(parts);
        match state.engine.ff_authenticate(token.as_deref()).await {
            Ok(Ok(caller)) => Ok(Self(caller)),
            Ok(Err(why)) => Err(unauthorized(state, parts, why)),
            Err(e) => Err(internal(e)),
        }
    }
}

fn unauthorized(state: &AppState, parts: &Parts, why: BearerError) -> Response {
    if let Some(retry_after) = state.failed_auth.api.failed(state.client_ip(parts)) {
        return crate::too_many_failures(retry_after);
    }
    let (code, detail) = match why {
        BearerError::Missing => ("401001", "A bearer access token is required."),
        BearerError::Expired => (
            "401002",
            "The access token has expired; request a new one from /v1/oauth2/token.",
        ),
        BearerError::Invalid => (
            "401003",
            "The access token is invalid or its API client was revoked.",
        ),
    };
    problem(StatusCode::UNAUTHORIZED, code, detail)
}

/// Parses a JSON body into its [`canonical`] form.
fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, Box<Response>> {
    let bytes = body.map_err(|e| -> Box<Response> {
        Box::new(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "413001",
                "The body is larger than 64 KiB.",
            )
        } else {
            let mut errors = Errors::default();
            errors.add("$", "The request body could not be read.");
            validation(errors)
        })
    })?;
    let mut errors = Errors::default();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        errors.add("", "A non-empty request body is required.");
        return Err(Box::new(validation(errors)));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) if crate::json_has_nul(&v) => {
            errors.add("$", "The JSON value must not contain NUL characters.");
            Err(Box::new(validation(errors)))
        }
        Ok(v @ Value::Object(_)) => Ok(canonical(v)),
        Ok(_) => {
            errors.add("$", "The JSON value must be an object.");
            Err(Box::new(validation(errors)))
        }
        Err(e) => {
            errors.add(
                "$",
                format!(
                    "The JSON value could not be parsed: line {}, column {}.",
                    e.line(),
                    e.column()
                ),
            );
            Err(Box::new(validation(errors)))
        }
    }
}

/// A required ISO 4217 currency at `path`.
fn currency_field(n: Node, path: &str, errors: &mut Errors) -> Option<Currency> {
    let code = n.required(&["currency"], path, errors)?;
    let parsed = Currency::parse(&code).ok();
    if parsed.is_none() {
        errors.add(path, "The field Currency is invalid.");
    }
    parsed
}

/// A canonical hash of a (lower-cased) request, for idempotency comparisons.
fn request_hash(v: &Value) -> String {
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(v.to_string().as_bytes()))
}

fn envelope_json<T: serde::Serialize>(status: StatusCode, body: &T) -> (u16, String, Response) {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    let resp = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        text.clone(),
    )
        .into_response();
    (status.as_u16(), text, resp)
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if body.is_empty() {
        return status.into_response();
    }
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Runs `work` under an idempotency key: replays, 409s, or records the answer.
async fn with_key<F, Fut>(
    state: &AppState,
    t: &Tenant,
    scope: &str,
    key: &str,
    hash: &str,
    work: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(u16, String, Response), Response>>,
{
    // Keyed FlexFactor calls (evaluate, capture, cancel) act on one order whose state machine
    // moves once (compare-and-set), so a claim stranded by a crash may lapse and be re-run.
    let lease = Some(openflex_engine::idempotency::CLAIM_LEASE);
    let claim = match state.engine.claim_key(t, scope, key, hash, lease).await {
        Ok(KeyClaim::Replay {
            status,
            body,
            same_hash: true,
        }) => return replay(status, body),
        Ok(KeyClaim::Replay { .. }) => {
            return problem(
                StatusCode::CONFLICT,
                "409001",
                "This idempotency key was used with another payload.",
            );
        }
        Ok(KeyClaim::InFlight) => {
            return problem(
                StatusCode::CONFLICT,
                "409002",
                "A request with this idempotency key is in progress.",
            );
        }
        Ok(KeyClaim::Fresh(claim)) => claim,
        Err(e) => return internal(e),
    };
    match work().await {
        Ok((status, body, resp)) => {
            // `false` (a retry took the lapsed claim over) needs nothing more: the order moved
            // once either way, and this answer describes it.
            if let Err(e) = state.engine.finish_key(t, &claim, status, &body).await {
                return internal(e);
            }
            resp
        }
        Err(resp) => {
            // Not answered (validation or internal failure): the key may be used again.
            let _ = state.engine.release_key(t, &claim).await;
            resp
        }
    }
}

/// Obtain a 10-minute access token (`{AppKey, AppSecret}`), or refresh one (`{refreshToken}`;
/// each refresh token works once, and a spent one presented again revokes every token refreshed
/// from the same login).
#[utoipa::path(post, path = "/v1/oauth2/token", tag = "FlexFactor",
    request_body(content = Object, description = "`{\"AppKey\",\"AppSecret\"}` (also `client_id`/`client_secret`), or `{\"refreshToken\"}`"),
    responses((status = 200, body = TokenResponse), (status = 400, description = "Bad credentials (400001) or missing fields", body = BadRequest)))]
pub async fn token(
    State(s): State<AppState>,
    parts: axum::http::request::Parts,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let n = Node::of(&v);
    let pair = if let Some(refresh) = n.text(&["refreshtoken", "refresh_token"]) {
        s.engine.ff_refresh(&refresh).await
    } else {
        let mut errors = Errors::default();
        let key = n.required(&["appkey", "client_id", "clientid"], "AppKey", &mut errors);
        let secret = n.required(
            &["appsecret", "client_secret", "clientsecret"],
            "AppSecret",
            &mut errors,
        );
        if !errors.is_empty() {
            return validation(errors);
        }
        s.engine
            .ff_token(&key.unwrap_or_default(), &secret.unwrap_or_default())
            .await
    };
    match pair {
        Ok(Some(p)) => {
            let ttl = (p.expires_ms / 1000 - s.engine.now().unix_timestamp()).max(0);
            Json(TokenResponse {
                access_token: p.access_token,
                refresh_token: p.refresh_token,
                expires: p.expires_ms,
                id: p.client_id,
                token_type: "Bearer".into(),
                expires_in: ttl,
                session: None,
                days_to_enforce_mfa: None,
                skip_available: None,
                envelope: Envelope {
                    result: None,
                    ..Envelope::ok(None)
                },
            })
            .into_response()
        }
        Ok(None) => match s.failed_auth.api.failed(s.client_ip(&parts)) {
            Some(retry_after) => crate::too_many_failures(retry_after),
            None => problem(
                StatusCode::BAD_REQUEST,
                "400001",
                "Invalid client credentials or refresh token.",
            ),
        },
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct TokenizeQuery {
    mid: Option<String>,
    environment: Option<String>,
}

/// Vault a card; the token goes in `paymentMethod.cardNumber` of `/evaluate` (and works as a
/// FlexPay `paymentMethodId` of the same merchant and mode).
#[utoipa::path(post, path = "/v1/tokenize", tag = "FlexFactor",
    params(("mid" = Option<String>, Query), ("environment" = Option<String>, Query, description = "The tokenization key (instead of a bearer token)")),
    request_body(content = Object, description = "`{\"payment_method\":{\"email\",\"credit_card\":{\"first_name\",\"last_name\",\"number\",\"verification_value\",\"month\",\"year\"}}}` (camelCase `creditCard` accepted)"),
    responses((status = 200, body = TokenizeResponse), (status = 400, description = "Validation map", body = BadRequest), (status = 401, body = ProblemDetails)))]
pub async fn tokenize(
    State(s): State<AppState>,
    parts: Parts,
    query: Result<Query<TokenizeQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or(TokenizeQuery {
        mid: None,
        environment: None,
    });
    let caller = match (crate::bearer_token(&parts), q.mid, q.environment) {
        (Some(token), _, _) => match s.engine.ff_authenticate(Some(&token)).await {
            Ok(Ok(c)) => c,
            Ok(Err(why)) => return unauthorized(&s, &parts, why),
            Err(e) => return internal(e),
        },
        (None, Some(mid), Some(key)) => match s.engine.ff_tokenization_auth(&mid, &key).await {
            Ok(Some(c)) => c,
            Ok(None) => return unauthorized(&s, &parts, BearerError::Invalid),
            Err(e) => return internal(e),
        },
        _ => return unauthorized(&s, &parts, BearerError::Missing),
    };
    let v = match json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let pm = Node::of(&v).child(&["payment_method", "paymentmethod"]);
    let cc = pm.child(&["credit_card", "creditcard"]);
    let mut errors = Errors::default();
    if !pm.exists() {
        errors.add("PaymentMethod", "The PaymentMethod field is required.");
        return validation(errors);
    }
    let first = cc.required(
        &["first_name", "firstname"],
        "PaymentMethod.CreditCard.FirstName",
        &mut errors,
    );
    let last = cc.required(
        &["last_name", "lastname"],
        "PaymentMethod.CreditCard.LastName",
        &mut errors,
    );
    let number = cc.required(&["number"], "PaymentMethod.CreditCard.Number", &mut errors);
    let month = cc.required(&["month"], "PaymentMethod.CreditCard.Month", &mut errors);
    let year = cc.required(&["year"], "PaymentMethod.CreditCard.Year", &mut errors);
    let cvv = cc.text(&["verification_value", "verificationvalue", "cvv"]);
    let pan = number.as_deref().map(card::normalize_pan);
    if let Some(Err(_)) = pan {
        errors.add(
            "PaymentMethod.CreditCard.Number",
            "The Number field is not a valid card number.",
        );
    }
    let month = month.and_then(|m| {
        card::parse_month(&m).or_else(|| {
            errors.add(
                "PaymentMethod.CreditCard.Month",
                "The field Month is invalid.",
            );
            None
        })
    });
    let year = year.and_then(|y| {
        card::parse_year(&y).or_else(|| {
            errors.add(
                "PaymentMethod.CreditCard.Year",
                "The field Year is invalid.",
            );
            None
        })
    });
    if cvv.as_ref().is_some_and(|c| !card::cvv_well_formed(c)) {
        errors.add(
            "PaymentMethod.CreditCard.VerificationValue",
            "The field VerificationValue must be 3 or 4 digits.",
        );
    }
    let email = pm
        .text(&["email"])
        .or_else(|| v.get("email").and_then(|e| e.as_str()).map(str::to_string));
    if !errors.is_empty() {
        return validation(errors);
    }
    let (Some(Ok(pan)), Some(month), Some(year)) = (pan, month, year) else {
        return internal("tokenize: validated fields missing");
    };
    let new = openflex_engine::payment_methods::NewCard {
        pan: openflex_domain::Secret::new(pan),
        cvv: cvv.map(openflex_domain::Secret::new),
        expiry: Expiry { month, year },
        holder: openflex_engine::Holder {
            first_name: first,
            last_name: last,
            email: email.clone(),
            ..Default::default()
        },
    };
    match s.engine.create_payment_method(&caller.tenant, new).await {
        Ok(Ok(t)) => {
            let Some(p) = t.payment_method else {
                return internal("tokenize: no payment method");
            };
            let at = super::wire_time(t.created_at);
            Json(TokenizeResponse {
                transaction: TokenizeTransaction {
                    on_test_gateway: caller.tenant.mode == Mode::Sandbox,
                    created_at: at.clone(),
                    updated_at: at.clone(),
                    succeeded: true,
                    transaction_type: "Store".into(),
                    amount: 0,
                    payment_method_added: true,
                    message: "Succeeded!".into(),
                    payment_method: TokenizedCard {
                        token: p.id.clone(),
                        created_at: at.clone(),
                        updated_at: at,
                        email,
                        storage_state: "retained".into(),
                        test: caller.tenant.mode == Mode::Sandbox,
                        last_four_digits: p.last_four.clone(),
                        first_six_digits: p.first_six.clone(),
                        card_type: p.card_type.map(|c| c.to_ascii_lowercase()),
                        first_name: p.holder.first_name.clone(),
                        last_name: p.holder.last_name.clone(),
                        month: p.expiry_month.as_deref().and_then(|m| m.parse().ok()),
                        year: p.expiry_year.as_deref().and_then(|y| y.parse().ok()),
                        full_name: p.holder.full_name.clone(),
                        payment_method_type: "credit_card".into(),
                        fingerprint: p.fingerprint.clone(),
                        verification_value: p.has_cvv.then(|| "***".to_string()),
                        number: p.masked_number.clone(),
                    },
                },
                card_bin_info: None,
                envelope: Envelope {
                    result: None,
                    ..Envelope::ok(None)
                },
            })
            .into_response()
        }
        Ok(Err(rejection)) => {
            let mut errors = Errors::default();
            let path = if rejection.code.0 == 30026 {
                "PaymentMethod.CreditCard.Year"
            } else {
                "PaymentMethod.CreditCard.Number"
            };
            errors.add(path, rejection.code.message());
            validation(errors)
        }
        Err(e) => internal(e),
    }
}

fn text_map(n: Node, fields: &[(&str, &str)]) -> Value {
    let mut m = serde_json::Map::new();
    for (lower, camel) in fields {
        if let Some(t) = n.text(&[lower]) {
            m.insert((*camel).to_string(), Value::String(t));
        }
    }
    if m.is_empty() {
        Value::Null
    } else {
        Value::Object(m)
    }
}

const ADDRESS: &[(&str, &str)] = &[
    ("firstname", "firstName"),
    ("lastname", "lastName"),
    ("phone", "phone"),
    ("country", "country"),
    ("countrycode", "countryCode"),
    ("addressline1", "addressLine1"),
    ("addressline2", "addressLine2"),
    ("state", "state"),
    ("city", "city"),
    ("zipcode", "zipCode"),
];

/// Parses an ISO 8601 date-time that carries its UTC offset (zone-less times are refused).
fn utc_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .or_else(|_| {
            time::OffsetDateTime::parse(
                text.trim(),
                &time::format_description::well_known::Iso8601::DEFAULT,
            )
        })
        .ok()
}

/// Submit a declined payment for rescue.
#[utoipa::path(post, path = "/v1/evaluate", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    request_body(content = Object, description = "The declined transaction: orderId, idempotencyKey, isMIT, expiryDateUtc (managed MIT), transactionType, transaction{…}, payer{email,…}, billingInformation, paymentMethod{cardNumber, token, …}"),
    responses((status = 200, body = EvaluateResponse), (status = 400, description = "Flat validation map with TraceId", body = BadRequest),
        (status = 401, body = ProblemDetails), (status = 403, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
pub async fn evaluate(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let n = Node::of(&v);
    let t = caller.tenant.clone();
    if let Some(mid) = n.text(&["mid"])
        && !mid.eq_ignore_ascii_case(&caller.mid)
    {
        return problem(
            StatusCode::FORBIDDEN,
            "403001",
            "The mid is not the merchant of this access token.",
        );
    }
    let mut errors = Errors::default();
    let order_id = n.text(&["orderid"]);
    if order_id.is_none() {
        errors.add("OrderId", "Merchant's orderId is required");
    }
    let key = n.required(&["idempotencykey"], "IdempotencyKey", &mut errors);
    match n.boolean(&["isdeclined"]) {
        Ok(Some(false)) => errors.add(
            "IsDeclined",
            "Only declined transactions can be evaluated; send approved ones to /v1/transmit.",
        ),
        Ok(_) => {}
        Err(()) => errors.add("IsDeclined", "The field IsDeclined is invalid."),
    }
    let is_mit = match n.boolean(&["ismit"]) {
        Ok(b) => b.unwrap_or(false),
        Err(()) => {
            errors.add("IsMIT", "The field IsMIT is invalid.");
            false
        }
    };
    let authorization = match n.text(&["transactiontype"]).map(|s| s.to_ascii_uppercase()) {
        None => false,
        Some(s) if s == "PURCHASE" => false,
        Some(s) if s == "AUTHORIZATION" => true,
        Some(_) => {
            errors.add("TransactionType", "The field TransactionType is invalid.");
            false
        }
    };
    let expiry = match n.text(&["expirydateutc"]) {
        None => None,
        Some(text) => match utc_time(&text) {
            Some(t) => Some(t),
            None => {
                errors.add("ExpiryDateUtc", "The field ExpiryDateUtc is invalid.");
                None
            }
        },
    };
    let tx = n.child(&["transaction"]);
    if !tx.exists() {
        errors.add("Transaction", "The Transaction field is required.");
    }
    tx.required(&["id"], "Transaction.Id", &mut errors);
    let amount = match tx.integer(&["amount"]) {
        Ok(Some(a)) => Some(a),
        Ok(None) => {
            errors.add("Transaction.Amount", "The Amount field is required.");
            None
        }
        Err(()) => {
            errors.add(
                "Transaction.Amount",
                "The field Amount must be an integer number of minor units (cents).",
            );
            None
        }
    };
    if let Some(a) = amount {
        if t.mode == Mode::Sandbox && !(11..20000).contains(&a) {
            errors.add("Transaction.Amount", "In the sandbox the field Amount must be greater than 10 and less than 20000 cents.");
        } else if a <= 0 {
            errors.add("Transaction.Amount", "The field Amount must be positive.");
        }
    }
    let currency = currency_field(tx, "Transaction.Currency", &mut errors);
    let response_code = tx.required(&["responsecode"], "Transaction.ResponseCode", &mut errors);
    tx.required(
        &["responsecodesource"],
        "Transaction.ResponseCodeSource",
        &mut errors,
    );
    tx.required(&["avsresultcode"], "Transaction.AvsResultCode", &mut errors);
    tx.required(&["cvvresultcode"], "Transaction.CvvResultCode", &mut errors);
    tx.required(
        &["cavvresultcode"],
        "Transaction.CavvResultCode",
        &mut errors,
    );
    if let Some(ts) = tx.text(&["timestamputc", "timestamp"])
        && utc_time(&ts).is_none()
    {
        errors.add(
            "Transaction.TimestampUtc",
            "The field TimestampUtc must be an ISO 8601 date-time with its UTC offset.",
        );
    }
    if let Err(()) = tx.integer(&["timezoneutcoffset"]) {
        errors.add(
            "Transaction.TimezoneUtcOffset",
            "The field TimezoneUtcOffset is invalid.",
        );
    }
    let payer = n.child(&["payer"]);
    if !payer.exists() {
        errors.add("Payer", "The Payer field is required.");
    }
    payer.required(&["email"], "Payer.Email", &mut errors);
    let pm = n.child(&["paymentmethod"]);
    if !pm.exists() {
        errors.add("PaymentMethod", "The PaymentMethod field is required.");
    }
    let card_number = pm.required(&["cardnumber"], "PaymentMethod.CardNumber", &mut errors);
    let token_flag = match pm.boolean(&["token"]) {
        Ok(b) => b,
        Err(()) => {
            errors.add("PaymentMethod.Token", "The field Token is invalid.");
            None
        }
    };
    let exp_month = pm.integer(&["expirationmonth"]).unwrap_or_else(|()| {
        errors.add(
            "PaymentMethod.ExpirationMonth",
            "The field ExpirationMonth is invalid.",
        );
        None
    });
    let exp_year = pm.integer(&["expirationyear"]).unwrap_or_else(|()| {
        errors.add(
            "PaymentMethod.ExpirationYear",
            "The field ExpirationYear is invalid.",
        );
        None
    });
    let card = card_number.and_then(|number| {
        let looks_like_pan = card::normalize_pan(&number).is_ok();
        if token_flag.unwrap_or(!looks_like_pan) {
            return Some(CardInput::Token(number));
        }
        match card::normalize_pan(&number) {
            Ok(pan) => Some(CardInput::Pan {
                pan: openflex_domain::Secret::new(pan),
                expiry: exp_month.zip(exp_year).and_then(|(m, y)| {
                    Some(Expiry {
                        month: u8::try_from(m).ok().filter(|m| (1..=12).contains(m))?,
                        year: u16::try_from(y).ok()?,
                    })
                }),
                holder_name: pm.text(&["holdername"]),
            }),
            Err(_) => {
                errors.add(
                    "PaymentMethod.CardNumber",
                    "The CardNumber field is not a valid card number.",
                );
                None
            }
        }
    });
    if !errors.is_empty() {
        return validation(errors);
    }
    let (Some(order_id), Some(key), Some(amount), Some(currency), Some(response_code), Some(card)) =
        (order_id, key, amount, currency, response_code, card)
    else {
        return internal("evaluate: validated fields missing");
    };
    let payer_json = json!({
        "payer": text_map(payer, &[("id", "id"), ("email", "email"), ("phone", "phone"), ("birthdate", "birthdate")]),
        "billing": text_map(n.child(&["billinginformation"]), ADDRESS),
        "shipping": text_map(n.child(&["shippinginformation"]), ADDRESS),
    });
    let details = json!({
        "transaction": text_map(tx, &[
            ("id", "id"), ("timestamputc", "timestampUtc"), ("responsecode", "responseCode"),
            ("responsedescription", "responseDescription"), ("responsecodesource", "responseCodeSource"),
            ("processorname", "processorName"), ("avsresultcode", "avsResultCode"), ("cvvresultcode", "cvvResultCode"),
            ("cavvresultcode", "cavvResultCode"), ("dynamicdescriptor", "dynamicDescriptor"),
        ]),
        "siteId": n.text(&["siteid"]),
        "siteUrl": n.text(&["siteurl"]),
        "customerIp": n.text(&["customerip"]),
        "orderSource": n.text(&["ordersource"]),
        "isRecurring": n.boolean(&["isrecurring"]).ok().flatten(),
        "subscription": text_map(n.child(&["subscription"]), &[("subscriptionid", "subscriptionId"), ("interval", "interval"), ("price", "price"), ("currency", "currency")]),
    });
    let request = EvaluateRequest {
        external_order_id: order_id,
        authorization,
        is_mit,
        expiry: if is_mit { expiry } else { None },
        amount,
        currency,
        response_code,
        card,
        payer_phone: payer.text(&["phone"]).is_some(),
        sense_key: n.text(&["sensekey"]),
        payer: payer_json,
        details,
    };
    let hash = request_hash(&v);
    let engine = s.engine.clone();
    with_key(&s, &caller.tenant, "evaluate", &key, &hash, || async move {
        match engine.ff_evaluate(&t, request).await {
            Ok(Ok(ev)) => Ok(envelope_json(
                StatusCode::OK,
                &EvaluateResponse {
                    order_session_key: ev.order_id.clone(),
                    sense_key: ev.sense_key,
                    order_id: ev.order_id,
                    envelope: Envelope::ok(Some(ev.status)),
                },
            )),
            Ok(Err(field)) => {
                let mut errors = Errors::default();
                errors.add(field.field, field.message);
                Err(validation(errors))
            }
            Err(e) => Err(internal(e)),
        }
    })
    .await
}

/// Share a transaction (normally approved) for the merchant's risk model. No card numbers.
#[utoipa::path(post, path = "/v1/transmit", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    request_body(content = Object, description = "orderId, isDeclined, isMIT, transaction{amount,currency,…}, payer, paymentMethod (no card number)"),
    responses((status = 200, body = TransmitResponse), (status = 400, description = "Flat validation map", body = BadRequest), (status = 401, body = ProblemDetails)))]
pub async fn transmit(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let n = Node::of(&v);
    let mut errors = Errors::default();
    let order_id = n.text(&["orderid"]);
    if order_id.is_none() {
        errors.add("OrderId", "Merchant's orderId is required");
    }
    let is_declined = n.boolean(&["isdeclined"]).unwrap_or_else(|()| {
        errors.add("IsDeclined", "The field IsDeclined is invalid.");
        None
    });
    if is_declined.is_none() && !errors.0.contains_key("IsDeclined") {
        errors.add("IsDeclined", "The IsDeclined field is required.");
    }
    let tx = n.child(&["transaction"]);
    let amount = match tx.integer(&["amount"]) {
        Ok(Some(a)) if a >= 0 => Some(a),
        Ok(None) => {
            errors.add("Transaction.Amount", "The Amount field is required.");
            None
        }
        _ => {
            errors.add(
                "Transaction.Amount",
                "The field Amount must be a non-negative integer number of minor units.",
            );
            None
        }
    };
    let currency = currency_field(tx, "Transaction.Currency", &mut errors);
    let pm = n.child(&["paymentmethod"]);
    if pm.text(&["cardnumber"]).is_some() {
        errors.add(
            "PaymentMethod.CardNumber",
            "Transmit carries no card numbers; send cardBinNumber and cardLast4Digits.",
        );
    }
    if !errors.is_empty() {
        return validation(errors);
    }
    let summary = json!({
        "isMIT": n.boolean(&["ismit"]).ok().flatten(),
        "transaction": text_map(tx, &[("id", "id"), ("responsecode", "responseCode"), ("timestamputc", "timestampUtc")]),
        "paymentMethod": text_map(pm, &[("cardbrand", "cardBrand"), ("cardbinnumber", "cardBinNumber"), ("cardlast4digits", "cardLast4Digits"), ("cardcountry", "cardCountry")]),
    });
    let (Some(order_id), Some(amount), Some(currency)) = (order_id, amount, currency) else {
        return internal("transmit: validated fields missing");
    };
    match s
        .engine
        .ff_transmit(
            &caller.tenant,
            &order_id,
            is_declined.unwrap_or(false),
            amount,
            &currency,
            summary,
        )
        .await
    {
        Ok(id) => Json(TransmitResponse {
            transmit_id: id,
            envelope: Envelope::ok(Some("SUCCESS")),
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

/// Deprecated: the status of an order (`APPROVED`, `DECLINED`, `EXPIRED`, `CANCELLED`,
/// `PROCESSING`, or `NOTFOUND`).
#[utoipa::path(post, path = "/v1/outcome", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    request_body(content = Object, description = "`{\"orderSessionKey\"}`"),
    responses((status = 200, body = OutcomeResponse), (status = 400, description = "Flat validation map", body = BadRequest), (status = 401, body = ProblemDetails)))]
pub async fn outcome(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let mut errors = Errors::default();
    let Some(key) = Node::of(&v).required(&["ordersessionkey"], "OrderSessionKey", &mut errors)
    else {
        return validation(errors);
    };
    match s.engine.ff_outcome(&caller.tenant, &key).await {
        Ok(Some((status, confirmation))) => Json(OutcomeResponse {
            order_session_key: key,
            confirmation_id: confirmation,
            envelope: Envelope::ok(Some(status)),
        })
        .into_response(),
        Ok(None) => Json(OutcomeResponse {
            order_session_key: key,
            confirmation_id: None,
            envelope: Envelope::ok(Some("NOTFOUND")),
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

/// Capture an order in CAPTUREREQUIRED (up to the authorized amount, within the window).
#[utoipa::path(post, path = "/v1/capture", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    request_body(content = Object, description = "`{\"idempotencyKey\",\"orderId\" (the FlexFactor order id),\"amount\" (cents),\"currency\"}`"),
    responses((status = 200, description = "status SUCCESS, or FAILED with responseCode", body = OrderActionResponse), (status = 400, description = "Flat validation map", body = BadRequest),
        (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
pub async fn capture(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let n = Node::of(&v);
    let mut errors = Errors::default();
    let key = n.required(&["idempotencykey"], "IdempotencyKey", &mut errors);
    let order_id = n.required(&["orderid"], "OrderId", &mut errors);
    let amount = match n.integer(&["amount"]) {
        Ok(Some(a)) => Some(a),
        Ok(None) => {
            errors.add("Amount", "The Amount field is required.");
            None
        }
        Err(()) => {
            errors.add(
                "Amount",
                "The field Amount must be an integer number of minor units (cents).",
            );
            None
        }
    };
    let currency = currency_field(n, "Currency", &mut errors);
    if !errors.is_empty() {
        return validation(errors);
    }
    let (Some(key), Some(order_id), Some(amount), Some(currency)) =
        (key, order_id, amount, currency)
    else {
        return internal("capture: validated fields missing");
    };
    let t = caller.tenant.clone();
    let engine = s.engine.clone();
    let hash = request_hash(&v);
    with_key(&s, &caller.tenant, "capture", &key, &hash, || async move {
        match engine.ff_capture(&t, &order_id, amount, &currency).await {
            Ok(Some(o)) => Ok(action_response(o)),
            Ok(None) => Err(problem(StatusCode::NOT_FOUND, "404001", "Order not found.")),
            Err(e) => Err(internal(e)),
        }
    })
    .await
}

fn action_response(o: OrderOutcome) -> (u16, String, Response) {
    let body = match o {
        OrderOutcome::Done { transaction_id } => OrderActionResponse {
            transaction_id,
            response_code: Some("0".into()),
            response_message: Some("APPROVED".into()),
            envelope: Envelope::ok(Some("SUCCESS")),
        },
        OrderOutcome::Failed { code, message } => OrderActionResponse {
            transaction_id: None,
            response_code: Some(code.into()),
            response_message: Some(message.clone()),
            envelope: Envelope::failed(code, &message),
        },
    };
    envelope_json(StatusCode::OK, &body)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersQuery {
    query: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    order_by: Option<String>,
    sort: Option<String>,
    page_size: Option<String>,
    page_number: Option<String>,
}

/// List orders (page-number paging, filters, sorting).
#[utoipa::path(get, path = "/v1/orders", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("query" = Option<String>, Query, description = "Text in the merchant order id or payer details"),
        ("status" = Option<String>, Query, description = "Numeric statuses, repeated or comma-separated"),
        ("from" = Option<String>, Query), ("to" = Option<String>, Query),
        ("orderBy" = Option<String>, Query, description = "createdOn (default) or amount"),
        ("sort" = Option<String>, Query, description = "asc or desc (default)"),
        ("pageSize" = Option<i64>, Query, description = "Default 10, at most 100"), ("pageNumber" = Option<i64>, Query, description = "1-based")),
    responses((status = 200, body = OrderPage), (status = 400, description = "Flat validation map", body = BadRequest), (status = 401, body = ProblemDetails)))]
pub async fn list_orders(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    uri: axum::http::Uri,
    query: Result<Query<OrdersQuery>, QueryRejection>,
) -> Response {
    let mut errors = Errors::default();
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => {
            errors.add("$", e.body_text());
            return validation(errors);
        }
    };
    // `status` may repeat (status=2&status=7) or be a comma list.
    let mut statuses = Vec::new();
    let raw_statuses: Vec<String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('='))
        .filter(|(k, _)| k.eq_ignore_ascii_case("status"))
        .map(|(_, v)| v.to_string())
        .chain(q.status.iter().cloned())
        .collect();
    for part in raw_statuses
        .iter()
        .flat_map(|s| s.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
    {
        match part.trim().parse::<i64>() {
            Ok(n) if (0..=7).contains(&n) => statuses.push(n),
            _ => errors.add(
                "Status",
                format!("The value '{part}' is not a valid status (0–7)."),
            ),
        }
    }
    statuses.sort();
    statuses.dedup();
    let mut time_bound =
        |text: &Option<String>, name: &str| match text.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => match utc_time(t).or_else(|| {
                crate::flexpay::binding::parse_date(t).map(|d| d.midnight().assume_utc())
            }) {
                Some(at) => Some(openflex_engine::micros(at)),
                None => {
                    errors.add(name, format!("The value '{t}' is not a valid date-time."));
                    None
                }
            },
        };
    let from = time_bound(&q.from, "From");
    let to = time_bound(&q.to, "To");
    let int = |text: &Option<String>, default: i64| {
        text.as_deref()
            .map(|t| t.trim().parse::<i64>())
            .unwrap_or(Ok(default))
    };
    let page_size = match int(&q.page_size, 10) {
        Ok(n) if n >= 1 => n.min(100),
        _ => {
            errors.add("PageSize", "The field PageSize must be a positive integer.");
            10
        }
    };
    let page_number = match int(&q.page_number, 1) {
        Ok(n) if n >= 1 => n,
        _ => {
            errors.add(
                "PageNumber",
                "The field PageNumber must be a positive integer.",
            );
            1
        }
    };
    let by_amount = match q
        .order_by
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") | Some("createdon") | Some("createdat") | Some("orderplaceddate") => false,
        Some("amount") => true,
        Some(_) => {
            errors.add("OrderBy", "The field OrderBy must be createdOn or amount.");
            false
        }
    };
    let descending = match q.sort.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            errors.add("Sort", "The field Sort must be asc or desc.");
            true
        }
    };
    if !errors.is_empty() {
        return validation(errors);
    }
    let oq = OrderQuery {
        statuses,
        from,
        to,
        text: q
            .query
            .filter(|t| !t.trim().is_empty())
            .map(|t| crate::nfc(&t)),
        order_by_amount: by_amount,
        descending,
        offset: (page_number - 1).saturating_mul(page_size),
        limit: page_size,
    };
    match s.engine.ff_orders(&caller.tenant, &oq).await {
        Ok((orders, total)) => {
            let page_count = (total + page_size - 1) / page_size;
            let first = if orders.is_empty() { 0 } else { oq.offset + 1 };
            let statuses = [
                (0, "DRAFT"),
                (1, "ONHOLD"),
                (2, "CANCELLED"),
                (3, "PROBLEM"),
                (4, "PROCESSING"),
                (5, "CAPTUREREQUIRED"),
                (6, "RETURNED"),
                (7, "COMPLETED"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.into())))
            .collect();
            Json(OrderPage {
                page_number,
                page_size,
                page_count,
                total_item_count: total,
                first_item_on_page: first,
                last_item_on_page: if orders.is_empty() {
                    0
                } else {
                    oq.offset + orders.len() as i64
                },
                has_next_page: page_number < page_count,
                has_previous_page: page_number > 1,
                is_first_page: page_number == 1,
                is_last_page: page_number >= page_count,
                orders: orders.iter().map(Into::into).collect(),
                statuses,
            })
            .into_response()
        }
        Err(e) => internal(e),
    }
}

/// One order with its amounts, payer and every event (attempts, captures, refunds).
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("id" = String, Path, description = "orderSessionKey")),
    responses((status = 200, body = OrderWire), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn show_order(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    Path(id): Path<String>,
) -> Response {
    match s.engine.ff_order(&caller.tenant, &id).await {
        Ok(o) => Json(OrderWire::from(&o)).into_response(),
        Err(openflex_engine::EngineError::NotFound) => {
            problem(StatusCode::NOT_FOUND, "404001", "Order not found.")
        }
        Err(e) => internal(e),
    }
}

/// Refund an order, fully or partially; `amountToRefund` is in dollars (a decimal).
#[utoipa::path(post, path = "/v1/orders/{id}/refund", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("id" = String, Path, description = "orderSessionKey")),
    request_body(content = Object, description = "`{\"amountToRefund\": 12.00, \"refundMessage\": \"…\"}`"),
    responses((status = 200, description = "status SUCCESS, or FAILED with responseCode 2001 (over the refundable amount)", body = OrderActionResponse),
        (status = 400, description = "Flat validation map", body = BadRequest), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn refund(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let order = match s.engine.ff_order(&caller.tenant, &id).await {
        Ok(o) => o,
        Err(openflex_engine::EngineError::NotFound) => {
            return problem(StatusCode::NOT_FOUND, "404001", "Order not found.");
        }
        Err(e) => return internal(e),
    };
    let n = Node::of(&v);
    let mut errors = Errors::default();
    let exponent = Currency::parse(&order.currency)
        .map(|c| c.exponent())
        .unwrap_or(2);
    let amount = match n.raw(&["amounttorefund"]) {
        None => {
            errors.add("AmountToRefund", "The AmountToRefund field is required.");
            None
        }
        Some(raw) => {
            let text = match raw {
                Value::Number(num) => num.to_string(),
                Value::String(s) => s.clone(),
                _ => String::new(),
            };
            match money::decimal_to_minor(&text, exponent) {
                Ok(a) if a > 0 => Some(a),
                _ => {
                    errors.add("AmountToRefund", "The field AmountToRefund must be a positive amount in the order's currency.");
                    None
                }
            }
        }
    };
    let message = n.text(&["refundmessage"]);
    if message.as_ref().is_some_and(|m| m.chars().count() > 500) {
        errors.add(
            "RefundMessage",
            "The field RefundMessage must be at most 500 characters.",
        );
    }
    if !errors.is_empty() {
        return validation(errors);
    }
    let Some(amount) = amount else {
        return internal("refund: validated amount missing");
    };
    // A repeated identical refund within 24 hours is answered from the first, not refunded twice.
    let key = format!("{id}|{amount}|{}", message.clone().unwrap_or_default());
    let hash = request_hash(&json!([id, amount, message]));
    let t = caller.tenant.clone();
    let engine = s.engine.clone();
    with_key(&s, &caller.tenant, "refund", &key, &hash, || async move {
        match engine.ff_refund(&t, &id, amount, message.as_deref()).await {
            Ok(Some(o @ OrderOutcome::Done { .. })) => Ok(action_response(o)),
            Ok(Some(o)) => {
                // A failed refund is not remembered: the merchant may retry after a change.
                let (_, _, resp) = action_response(o);
                Err(resp)
            }
            Ok(None) => Err(problem(StatusCode::NOT_FOUND, "404001", "Order not found.")),
            Err(e) => Err(internal(e)),
        }
    })
    .await
}

async fn cancel_by(
    s: AppState,
    caller: FfCaller,
    r: OrderRef<'_>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match body {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Value::Object(Default::default()),
        other => match json_body(other) {
            Ok(v) => v,
            Err(r) => return *r,
        },
    };
    let key = Node::of(&v).text(&["idempotencykey"]);
    let t = caller.tenant.clone();
    let run = |engine: openflex_engine::Engine, t: Tenant| async move {
        match engine.ff_cancel(&t, r).await {
            Ok(Some(OrderOutcome::Done { .. })) => {
                Ok((200, String::new(), StatusCode::OK.into_response()))
            }
            Ok(Some(OrderOutcome::Failed { code, message })) => {
                Err(problem(StatusCode::BAD_REQUEST, code, message))
            }
            Ok(None) => Err(problem(StatusCode::NOT_FOUND, "404001", "Order not found.")),
            Err(e) => Err(internal(e)),
        }
    };
    match key {
        Some(key) => {
            let hash = request_hash(&v);
            let engine = s.engine.clone();
            let t2 = t.clone();
            with_key(&s, &t, "cancel", &key, &hash, move || run(engine, t2)).await
        }
        None => match run(s.engine.clone(), t).await {
            Ok((_, _, resp)) | Err(resp) => resp,
        },
    }
}

/// Cancel (void) an order that has not been captured: 200 with an empty body; idempotent.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("id" = String, Path, description = "orderSessionKey")), request_body(content = Object, description = "`{}` or `{\"idempotencyKey\"}`"),
    responses((status = 200, description = "Cancelled (empty body)"), (status = 400, body = BadRequest), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn cancel(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    cancel_by(s, caller, OrderRef::Id(&id), body).await
}

/// Cancel by the merchant's own order id (when /evaluate timed out before answering).
#[utoipa::path(post, path = "/v1/orders/{id}/external-cancel", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("id" = String, Path, description = "The merchant's orderId")), request_body(content = Object, description = "`{}` or `{\"idempotencyKey\"}`"),
    responses((status = 200, description = "Cancelled (empty body)"), (status = 400, body = BadRequest), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn external_cancel(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    cancel_by(s, caller, OrderRef::External(&crate::nfc(&id)), body).await
}
