//! FlexFactor request bodies → engine requests. Every reader collects all failing fields under
//! their PascalCase paths (docs/flexfactor.md Decision 3), so a client fixes a body in one go;
//! the handlers only see a request the engine can act on, or the validation answer to send.

use super::body::{Errors, Node, canonical};
use super::fields;
use super::{internal, problem, validation};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use openflex_domain::card::{self, Expiry};
use openflex_domain::money::{self, Currency};
use openflex_domain::rescue;
use openflex_engine::flexfactor::{
    CardInput, DeclinedTransaction, EvaluateRequest, OrderAddress, OrderContext, OrderParties,
    Payer, Subscription, TransmitSummary, TransmittedCard, TransmittedTransaction, given,
};
use openflex_engine::payment_methods::NewCard;
use openflex_engine::{Holder, Mode};
use serde_json::Value;

/// A request read, or the answer that refuses it (boxed: a `Response` is large).
pub type Read<T> = Result<T, Box<Response>>;

/// Parses a JSON body into its [`canonical`] form.
pub fn json_body(body: Result<Bytes, BytesRejection>) -> Read<Value> {
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

/// `Ok(value)` when nothing failed, else the validation answer listing every failure.
fn checked<T>(errors: Errors, value: impl FnOnce() -> Option<T>, what: &str) -> Read<T> {
    if !errors.is_empty() {
        return Err(Box::new(validation(errors)));
    }
    value().ok_or_else(|| Box::new(internal(format!("{what}: validated fields missing"))))
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

/// A required integer amount in minor units at `path`.
fn minor_amount(n: Node, path: &str, errors: &mut Errors) -> Option<i64> {
    match n.integer(&["amount"]) {
        Ok(Some(a)) => Some(a),
        Ok(None) => {
            errors.add(path, "The Amount field is required.");
            None
        }
        Err(()) => {
            errors.add(
                path,
                "The field Amount must be an integer number of minor units (cents).",
            );
            None
        }
    }
}

/// Parses an ISO 8601 date-time that carries its UTC offset (zone-less times are refused).
pub fn utc_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .or_else(|_| {
            time::OffsetDateTime::parse(
                text.trim(),
                &time::format_description::well_known::Iso8601::DEFAULT,
            )
        })
        .ok()
}

/// What `/v1/oauth2/token` was given.
pub enum Credentials {
    Refresh(String),
    Login { key: String, secret: String },
}

pub fn credentials(v: &Value) -> Read<Credentials> {
    let n = Node::of(v);
    if let Some(refresh) = n.text(&["refreshtoken", "refresh_token"]) {
        return Ok(Credentials::Refresh(refresh));
    }
    let mut errors = Errors::default();
    let key = n.required(&["appkey", "client_id", "clientid"], "AppKey", &mut errors);
    let secret = n.required(
        &["appsecret", "client_secret", "clientsecret"],
        "AppSecret",
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(Box::new(validation(errors)));
    }
    Ok(Credentials::Login {
        key: key.unwrap_or_default(),
        secret: secret.unwrap_or_default(),
    })
}

/// The card of a `/v1/tokenize` body.
pub fn tokenize(v: &Value) -> Read<NewCard> {
    let pm = Node::of(v).child(&["payment_method", "paymentmethod"]);
    let cc = pm.child(&["credit_card", "creditcard"]);
    let mut errors = Errors::default();
    if !pm.exists() {
        errors.add("PaymentMethod", "The PaymentMethod field is required.");
        return Err(Box::new(validation(errors)));
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
    let (pan, month, year) = checked(errors, || Some((pan?.ok()?, month?, year?)), "tokenize")?;
    Ok(NewCard {
        pan: openflex_domain::Secret::new(pan),
        cvv: cvv.map(openflex_domain::Secret::new),
        expiry: Expiry { month, year },
        holder: Holder {
            first_name: first,
            last_name: last,
            email,
            ..Default::default()
        },
    })
}

/// An `/v1/evaluate` body: its idempotency key and the engine request.
pub fn evaluate(v: &Value, mode: Mode) -> Read<(String, EvaluateRequest)> {
    let n = Node::of(v);
    let mut errors = Errors::default();
    let order_id = n.text(&["orderid"]);
    if order_id.is_none() {
        errors.add("OrderId", "Merchant's orderId is required");
    }
    let key = n.required(&["idempotencykey"], "IdempotencyKey", &mut errors);
    let flags = evaluate_flags(n, &mut errors);
    let tx = n.child(&["transaction"]);
    let declined = declined_transaction(tx, mode, &mut errors);
    let payer = n.child(&["payer"]);
    if !payer.exists() {
        errors.add("Payer", "The Payer field is required.");
    }
    payer.required(&["email"], "Payer.Email", &mut errors);
    let card = card_input(n.child(&["paymentmethod"]), &mut errors)
        .map(|c| with_holder(c, n.child(&["billinginformation"]), payer));
    let (order_id, key, (amount, currency, response_code), card) = checked(
        errors,
        || Some((order_id?, key?, declined?, card?)),
        "evaluate",
    )?;
    let request = EvaluateRequest {
        external_order_id: order_id,
        authorization: flags.authorization,
        is_mit: flags.is_mit,
        expiry: if flags.is_mit { flags.expiry } else { None },
        amount,
        currency,
        response_code,
        card,
        payer_phone: payer.text(&["phone"]).is_some(),
        sense_key: n.text(&["sensekey"]),
        payer: payer_record(n, payer),
        details: details_record(n, tx),
    };
    Ok((key, request))
}

/// The top-level switches of an evaluate body.
struct EvaluateFlags {
    is_mit: bool,
    authorization: bool,
    expiry: Option<time::OffsetDateTime>,
}

fn evaluate_flags(n: Node, errors: &mut Errors) -> EvaluateFlags {
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
    EvaluateFlags {
        is_mit,
        authorization,
        expiry,
    }
}

/// The declined `transaction{…}`: its amount, currency and response code.
fn declined_transaction(
    tx: Node,
    mode: Mode,
    errors: &mut Errors,
) -> Option<(i64, Currency, String)> {
    if !tx.exists() {
        errors.add("Transaction", "The Transaction field is required.");
    }
    tx.required(&["id"], "Transaction.Id", errors);
    let amount = minor_amount(tx, "Transaction.Amount", errors);
    if let Some(Err(why)) = amount.map(|a| rescue::check_evaluate_amount(a, mode == Mode::Sandbox))
    {
        errors.add("Transaction.Amount", fields::amount_refusal(why));
    }
    let currency = currency_field(tx, "Transaction.Currency", errors);
    let response_code = tx.required(&["responsecode"], "Transaction.ResponseCode", errors);
    for (alias, path) in [
        ("responsecodesource", "Transaction.ResponseCodeSource"),
        ("avsresultcode", "Transaction.AvsResultCode"),
        ("cvvresultcode", "Transaction.CvvResultCode"),
        ("cavvresultcode", "Transaction.CavvResultCode"),
    ] {
        tx.required(&[alias], path, errors);
    }
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
    Some((amount?, currency?, response_code?))
}

/// `paymentMethod{…}`: a `/tokenize` token, or a card number in clear (`token: false`, or
/// anything that reads as a card number when `token` is absent).
fn card_input(pm: Node, errors: &mut Errors) -> Option<CardInput> {
    if !pm.exists() {
        errors.add("PaymentMethod", "The PaymentMethod field is required.");
    }
    let card_number = pm.required(&["cardnumber"], "PaymentMethod.CardNumber", errors);
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
    card_number.and_then(|number| {
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
                holder: Box::new(Holder {
                    full_name: pm.text(&["holdername"]),
                    ..Holder::default()
                }),
            }),
            Err(_) => {
                errors.add(
                    "PaymentMethod.CardNumber",
                    "The CardNumber field is not a valid card number.",
                );
                None
            }
        }
    })
}

/// A card sent in clear keeps the billing address and email with it: a real rescue sends them
/// to the gateway, whose address checks (AVS) want them.
fn with_holder(card: CardInput, billing: Node, payer: Node) -> CardInput {
    match card {
        CardInput::Pan {
            pan,
            expiry,
            holder,
        } => CardInput::Pan {
            pan,
            expiry,
            holder: Box::new(Holder {
                first_name: billing.text(&["firstname"]),
                last_name: billing.text(&["lastname"]),
                address1: billing.text(&["addressline1"]),
                address2: billing.text(&["addressline2"]),
                postal_code: billing.text(&["zipcode"]),
                city: billing.text(&["city"]),
                state: billing.text(&["state"]),
                country: billing
                    .text(&["countrycode"])
                    .or_else(|| billing.text(&["country"])),
                email: payer.text(&["email"]),
                phone_number: billing.text(&["phone"]),
                ..*holder
            }),
        },
        token => token,
    }
}

/// Payer, billing and shipping as given, for the order record (no card data).
fn payer_record(n: Node, payer: Node) -> OrderParties {
    OrderParties {
        payer: given(Payer {
            id: payer.text(&["id"]),
            email: payer.text(&["email"]),
            phone: payer.text(&["phone"]),
            birthdate: payer.text(&["birthdate"]),
        }),
        billing: address(n.child(&["billinginformation"])),
        shipping: address(n.child(&["shippinginformation"])),
    }
}

fn address(a: Node) -> Option<OrderAddress> {
    given(OrderAddress {
        first_name: a.text(&["firstname"]),
        last_name: a.text(&["lastname"]),
        phone: a.text(&["phone"]),
        country: a.text(&["country"]),
        country_code: a.text(&["countrycode"]),
        address_line1: a.text(&["addressline1"]),
        address_line2: a.text(&["addressline2"]),
        state: a.text(&["state"]),
        city: a.text(&["city"]),
        zip_code: a.text(&["zipcode"]),
    })
}

/// The rest of an evaluate body worth keeping for the merchant (no card data).
fn details_record(n: Node, tx: Node) -> OrderContext {
    let sub = n.child(&["subscription"]);
    OrderContext {
        correlation_id: n.text(&["correlationid"]),
        transaction: given(DeclinedTransaction {
            id: tx.text(&["id"]),
            timestamp_utc: tx.text(&["timestamputc"]),
            response_code: tx.text(&["responsecode"]),
            response_description: tx.text(&["responsedescription"]),
            response_code_source: tx.text(&["responsecodesource"]),
            processor_name: tx.text(&["processorname"]),
            avs_result_code: tx.text(&["avsresultcode"]),
            cvv_result_code: tx.text(&["cvvresultcode"]),
            cavv_result_code: tx.text(&["cavvresultcode"]),
            dynamic_descriptor: tx.text(&["dynamicdescriptor"]),
        }),
        site_id: n.text(&["siteid"]),
        site_url: n.text(&["siteurl"]),
        customer_ip: n.text(&["customerip"]),
        order_source: n.text(&["ordersource"]),
        is_recurring: n.boolean(&["isrecurring"]).ok().flatten(),
        subscription: given(Subscription {
            subscription_id: sub.text(&["subscriptionid"]),
            interval: sub.text(&["interval"]),
            price: sub.text(&["price"]),
            currency: sub.text(&["currency"]),
        }),
    }
}

/// A `/v1/transmit` body.
pub struct Transmit {
    pub order_id: String,
    pub is_declined: bool,
    pub amount: i64,
    pub currency: Currency,
    /// What is kept of the transaction (no card numbers).
    pub summary: TransmitSummary,
}

pub fn transmit(v: &Value) -> Read<Transmit> {
    let n = Node::of(v);
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
        return Err(Box::new(validation(errors)));
    }
    let summary = TransmitSummary {
        is_mit: n.boolean(&["ismit"]).ok().flatten(),
        transaction: given(TransmittedTransaction {
            id: tx.text(&["id"]),
            response_code: tx.text(&["responsecode"]),
            timestamp_utc: tx.text(&["timestamputc"]),
        }),
        payment_method: given(TransmittedCard {
            card_brand: pm.text(&["cardbrand"]),
            card_bin_number: pm.text(&["cardbinnumber"]),
            card_last4_digits: pm.text(&["cardlast4digits"]),
            card_country: pm.text(&["cardcountry"]),
        }),
    };
    let (order_id, amount, currency) = checked(
        Errors::default(),
        || Some((order_id?, amount?, currency?)),
        "transmit",
    )?;
    Ok(Transmit {
        order_id,
        is_declined: is_declined.unwrap_or(false),
        amount,
        currency,
        summary,
    })
}

/// The `orderSessionKey` of a `/v1/outcome` body.
pub fn outcome(v: &Value) -> Read<String> {
    let mut errors = Errors::default();
    Node::of(v)
        .required(&["ordersessionkey"], "OrderSessionKey", &mut errors)
        .ok_or_else(|| Box::new(validation(errors)))
}

/// A `/v1/capture` body.
pub struct Capture {
    pub key: String,
    pub order_id: String,
    pub amount: i64,
    pub currency: Currency,
}

pub fn capture(v: &Value) -> Read<Capture> {
    let n = Node::of(v);
    let mut errors = Errors::default();
    let key = n.required(&["idempotencykey"], "IdempotencyKey", &mut errors);
    let order_id = n.required(&["orderid"], "OrderId", &mut errors);
    let amount = minor_amount(n, "Amount", &mut errors);
    let currency = currency_field(n, "Currency", &mut errors);
    let (key, order_id, amount, currency) = checked(
        errors,
        || Some((key?, order_id?, amount?, currency?)),
        "capture",
    )?;
    Ok(Capture {
        key,
        order_id,
        amount,
        currency,
    })
}

/// A refund body: the amount (dollars on the wire, minor units of the order's currency here,
/// `exponent` its decimals) and the message.
pub fn refund(v: &Value, exponent: u32) -> Read<(i64, Option<String>)> {
    let n = Node::of(v);
    let mut errors = Errors::default();
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
                    errors.add(
                        "AmountToRefund",
                        "The field AmountToRefund must be a positive amount in the order's currency.",
                    );
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
    let amount = checked(errors, || amount, "refund")?;
    Ok((amount, message))
}
