//! Flexiti request bodies, query strings and headers → engine requests. Each reader collects
//! every field error before failing (the dialect answers all of them in one `field_errors`
//! list), in the order the fields are read here, so the handlers stay read → engine → render.

use super::body::Fields;
use super::{FieldError, FlexitiError};
use axum::http::{HeaderMap, header};
use openflex_domain::Secret;
use openflex_domain::financing::Province;
use openflex_engine::financing::ledger::{
    AuthorizeRequest, InStore, LedgerQuery, OpaqueJson, PurchaseType, RefundRequest, ReturnRequest,
    SideKind,
};
use openflex_engine::financing::onboarding::Application;
use openflex_engine::financing::widget::WidgetInit;
use openflex_engine::financing::{AccountKey, AccountNaming, Scope, VerifyFormat, VerifyRequest};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The government id types an application may name (also offered by the merchant login).
pub const GOVID_TYPES: &[&str] = &["CADL", "CAHC", "CAPID", "CAP", "CAPRC", "CACIT", "CAIND"];

/// The applicant fields compared with a widget session's prefill.
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

/// The query string as trimmed, non-empty pairs.
pub fn query_map(q: Option<String>) -> HashMap<String, String> {
    q.map(|q| {
        form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// The query string as a JSON object, to be read with [`Fields`] like a body.
pub fn query_value(q: Option<String>) -> Value {
    Value::Object(
        query_map(q)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// Fails with every field error collected, if any.
pub fn done(f: Fields) -> Result<(), FlexitiError> {
    if f.errors.is_empty() {
        Ok(())
    } else {
        Err(FlexitiError::inputs(f.errors))
    }
}

fn one_input(param: &str, msg: &str) -> FlexitiError {
    FlexitiError::inputs(vec![FieldError {
        param: param.into(),
        msg: msg.into(),
        value: None,
    }])
}

/// An id in the path: a number of at most 16 digits, else the resource cannot exist.
pub fn path_id(s: &str) -> Result<i64, FlexitiError> {
    if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FlexitiError::code("not_found"));
    }
    s.parse().map_err(|_| FlexitiError::code("not_found"))
}

/// An account number in the path: at most 14 digits, else the account cannot exist.
pub fn account_path(s: &str) -> Result<String, FlexitiError> {
    if s.is_empty() || s.len() > 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FlexitiError::code("not_found"));
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

/// A token request: the client's credentials, and the refresh token when it is that grant.
pub struct TokenRequest {
    pub client_id: String,
    pub client_secret: String,
    pub scope: Scope,
    /// `Some` for the `refresh_token` grant.
    pub refresh_token: Option<String>,
}

/// Client credentials from the body or HTTP Basic; the grant decides before any field does.
pub fn token(v: &Value, headers: &HeaderMap) -> Result<TokenRequest, FlexitiError> {
    let mut f = Fields::of(v);
    let basic = headers
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
        Some("password") => return Err(FlexitiError::code("unsupported_grant_type")),
        Some(_) => return Err(FlexitiError::code("invalid_request")),
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
    let Some((client_id, client_secret)) = client else {
        if !f.has("client_id") {
            f.fail("client_id", "required", None);
        }
        if !f.has("client_secret") {
            f.fail("client_secret", "required", None);
        }
        done(f)?;
        return Err(FlexitiError::code("invalid_client"));
    };
    done(f)?;
    Ok(TokenRequest {
        client_id,
        client_secret,
        scope,
        refresh_token: refresh.map(|r| r.map(|r| r.expose().clone()).unwrap_or_default()),
    })
}

/// The deprecated merchant login's username and password.
pub fn login(v: &Value) -> Result<(String, Secret<String>), FlexitiError> {
    let mut f = Fields::of(v);
    let user = f.text("merchant_username", 200, true);
    let pass = f.secret("merchant_password", 512, true);
    done(f)?;
    Ok((
        user.unwrap_or_default(),
        pass.unwrap_or_else(|| Secret::new(String::new())),
    ))
}

/// `customers/search`: a person's name, date of birth and, optionally, postal code.
pub struct Search {
    pub first_name: String,
    pub last_name: String,
    pub dob: String,
    pub postal_code: Option<String>,
}

pub fn search(q: Option<String>) -> Result<Search, FlexitiError> {
    let q = query_value(q);
    let mut f = Fields::of(&q);
    let first = f.text("first_name", 35, true);
    let last = f.text("last_name", 50, true);
    let dob = f.date("dob", true);
    let postal = f.text("postal_code", 7, false);
    done(f)?;
    Ok(Search {
        first_name: first.unwrap_or_default(),
        last_name: last.unwrap_or_default(),
        dob: dob.unwrap_or_default(),
        postal_code: postal,
    })
}

/// `customers/lookup`: exactly one of card number, account number or customer id.
pub fn lookup(q: Option<String>) -> Result<AccountKey, FlexitiError> {
    let q = query_value(q);
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
    match (vcc, number, customer) {
        (Some(v), _, _) => Ok(AccountKey::Vcc(Secret::new(v))),
        (_, Some(n), _) => Ok(AccountKey::Number(n)),
        (_, _, Some(cu)) => Ok(AccountKey::Customer(cu)),
        _ => Err(FlexitiError::code("wrong_inputs")),
    }
}

/// The decoded licence barcode. It carries the AAMVA separators (LF, RS, CR): read as is, not
/// as a one-line field.
pub fn licence(v: &Value) -> Result<openflex_domain::aamva::Licence, FlexitiError> {
    let mut f = Fields::of(v);
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
    openflex_domain::aamva::parse(&text).map_err(|_| one_input("barcode_data", "invalid"))
}

/// A PIN request; the security question's id and answer only for that format.
pub fn verify(v: &Value) -> Result<VerifyRequest, FlexitiError> {
    let mut f = Fields::of(v);
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
    Ok(VerifyRequest {
        format: format.unwrap_or(VerifyFormat::Sms),
        vcc: vcc.map(Secret::new),
        security_qid: qid,
        security_answer: answer,
        request_id,
    })
}

/// The amount to quote: from the body, else from `?amount=`.
pub fn calculate(mut v: Value, q: Option<String>) -> Result<i64, FlexitiError> {
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
    Ok(amount.unwrap_or_default())
}

/// A widget session to open, and the language its page is shown in. Besides the vendor's
/// fields, openflex reads `amount` (the cart, quoted on the page), `return_url` (where the
/// shopper goes back to) and `reference` (the order, carried to the authorization).
pub fn widget(v: &Value) -> Result<(WidgetInit, &'static str), FlexitiError> {
    let mut f = Fields::of(v);
    let flow = f.one_of("flow", &["purchase", "apply"], None);
    let lang = f.one_of("lang", &["en", "fr"], Some("en"));
    let amount = f.money("amount", false);
    let return_url = f.text("return_url", 2000, false);
    if let Some(u) = &return_url
        && !is_return_url(u)
    {
        let raw = f.raw("return_url").cloned();
        f.fail("return_url", "invalid", raw.as_ref());
    }
    let reference = f.text("reference", 40, false);
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
        for (k, max) in [
            ("email", 100),
            ("phone_number", 10),
            ("address_1", 100),
            ("address_2", 100),
            ("city", 50),
        ] {
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
    let lang = lang.unwrap_or("en");
    let init = WidgetInit {
        flow: flow.unwrap_or("purchase").to_string(),
        account_number: account,
        vcc: vcc.map(Secret::new),
        fields,
        lang: lang.to_string(),
        amount,
        return_url,
        reference,
    };
    Ok((init, lang))
}

/// An absolute http(s) URL with a host, no user name and no fragment: the page appends the
/// outcome to its query.
fn is_return_url(u: &str) -> bool {
    let Ok(uri) = u.parse::<axum::http::Uri>() else {
        return false;
    };
    matches!(uri.scheme_str(), Some("http" | "https"))
        && uri
            .authority()
            .is_some_and(|a| !a.host().is_empty() && !a.as_str().contains('@'))
        && !u.contains('#')
}

/// A credit application, with the applicant fields a widget session's prefill is compared with.
pub fn application(v: &Value) -> Result<Application, FlexitiError> {
    let mut f = Fields::of(v);
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
    Ok(Application {
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
    })
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
    let sku = sku_data(f);
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

fn purchase(
    v: &Value,
    purchase_type: Option<PurchaseType>,
    auto_capture_default: Option<bool>,
) -> Result<AuthorizeRequest, FlexitiError> {
    let mut f = Fields::of(v);
    let req = purchase_fields(&mut f, v, purchase_type, auto_capture_default);
    done(f)?;
    req.ok_or(FlexitiError::code("wrong_inputs"))
}

/// `/authorization`: a purchase, its type in `financing_option`.
pub fn authorization(v: &Value) -> Result<AuthorizeRequest, FlexitiError> {
    purchase(v, None, None)
}

/// A `/transactions` side movement before its account is resolved: the account is named by
/// number, card number or customer id.
pub struct SideBody {
    pub kind: SideKind,
    pub account: AccountNaming,
    pub amount: i64,
    pub verification_code: Option<Secret<String>>,
    pub reference: Option<String>,
    pub store: InStore,
}

/// What a `/transactions` body asks for.
pub enum Transaction {
    /// A legacy purchase type, auto-captured by default.
    Purchase(AuthorizeRequest),
    /// A deposit, in-store payment or trade-in.
    Side(SideBody),
}

pub fn transaction(v: &Value) -> Result<Transaction, FlexitiError> {
    let kind_raw = v
        .get("transaction_type")
        .and_then(|t| t.as_str())
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if kind_raw.is_empty() {
        return Err(one_input("transaction_type", "required"));
    }
    if let Some(p) = PurchaseType::parse(&kind_raw) {
        return purchase(v, Some(p), Some(true)).map(Transaction::Purchase);
    }
    let Some(kind) = SideKind::parse(&kind_raw) else {
        return Err(FlexitiError::code("invalid_transaction_type"));
    };
    let mut f = Fields::of(v);
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
    Ok(Transaction::Side(SideBody {
        kind,
        account: AccountNaming {
            account_number: number,
            vcc: vcc.map(Secret::new),
            customer_id: customer,
        },
        amount: amount.unwrap_or_default(),
        verification_code: code,
        reference,
        store,
    }))
}

/// A release: its reference and, for a partial one, the amount.
pub fn release(v: &Value) -> Result<(Option<String>, Option<i64>), FlexitiError> {
    let mut f = Fields::of(v);
    let reference = f.text("reference", 40, false);
    let amount = f.money("amount", false);
    done(f)?;
    Ok((reference, amount))
}

/// A capture.
pub struct CaptureBody {
    pub amount: i64,
    pub reference: Option<String>,
    pub sku_data: Option<OpaqueJson>,
}

pub fn capture(v: &Value) -> Result<CaptureBody, FlexitiError> {
    let mut f = Fields::of(v);
    let reference = f.text("reference", 40, false);
    let amount = f.money("amount", true);
    let sku = sku_data(&mut f);
    done(f)?;
    Ok(CaptureBody {
        amount: amount.unwrap_or_default(),
        reference,
        sku_data: sku,
    })
}

/// A return against a capture: `amount` is required when it is not a full return.
pub fn return_request(v: &Value) -> Result<ReturnRequest, FlexitiError> {
    let mut f = Fields::of(v);
    let reference = f.text("reference", 40, false);
    let vcc = f.digits("vcc_number", 16..=16, false, true);
    let full = f.boolean("full_return", true);
    let amount = f.money("amount", full == Some(false));
    let sku = sku_data(&mut f);
    let store = in_store(&mut f, false);
    done(f)?;
    Ok(ReturnRequest {
        full_return: full.unwrap_or(false),
        amount,
        reference,
        vcc: vcc.map(Secret::new),
        store,
        sku_data: sku,
    })
}

/// A refund to an account.
pub fn refund(v: &Value) -> Result<RefundRequest, FlexitiError> {
    let mut f = Fields::of(v);
    let amount = f.money("amount", true);
    let reference = f.text("reference", 40, false);
    let capture_id = f.int("capture_id", 9_999_999_999_999_999, false);
    let vcc = f.digits("vcc_number", 16..=16, false, true);
    let sku = sku_data(&mut f);
    let store = in_store(&mut f, false);
    done(f)?;
    Ok(RefundRequest {
        amount: amount.unwrap_or_default(),
        capture_id,
        reference,
        vcc: vcc.map(Secret::new),
        store,
        sku_data: sku,
    })
}

/// A list's filters, with the page asked for.
pub struct ListPage {
    pub query: LedgerQuery,
    pub page: i64,
    pub size: i64,
}

/// Filters and paging shared by the two lists (`authorization_status` for authorizations,
/// `authorization_id` for captures).
pub fn list(q: Option<String>, with_status: bool) -> Result<ListPage, FlexitiError> {
    let q = query_value(q);
    let mut f = Fields::of(&q);
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
            .map(|d| d.midnight().assume_utc())
    };
    let query = LedgerQuery {
        account_number,
        purchase_type: transaction_type.and_then(PurchaseType::parse),
        authorization_status: status.map(str::to_string),
        external_location_id: location,
        authorization_id,
        created_from: from.as_deref().and_then(day),
        // Inclusive of the whole `to` day.
        created_before: to
            .as_deref()
            .and_then(day)
            .map(|t| t + time::Duration::days(1)),
        offset: (page - 1) * size,
        limit: size,
    };
    done(f)?;
    Ok(ListPage { query, page, size })
}

/// The merchant's `sku_data`: any object of at most 16 KiB, kept as given.
fn sku_data(f: &mut Fields) -> Option<OpaqueJson> {
    let v = f.object("sku_data", 16 * 1024)?;
    serde_json::from_value(v).ok()
}
