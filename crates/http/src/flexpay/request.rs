//! FlexPay request bodies → engine requests, validating in the seed's field order so the first
//! failing field decides the 5xxxx code (docs/flexpay.md §3).

use super::binding::{Bound, Obj, fail, id, opt, parse_datetime, req};
use openflex_domain::Secret;
use openflex_domain::card::{self, Expiry, PanError};
use openflex_domain::money::{Currency, CurrencyError};
use openflex_engine::payment_methods::{GatewayCard, NewCard};
use openflex_engine::payments::{
    FollowUpKind, FollowUpRequest, PaymentKind, PaymentRequest, PaymentSource,
};
use openflex_engine::{Address, Details, Holder, PaymentPlan, PreviousTransaction};
use serde_json::{Map, Value};

/// Which billing-address fields a card variant requires once it carries an address (the
/// seed's tables differ per endpoint; a card with no address at all needs none of them).
#[derive(Clone, Copy)]
pub struct CardRules {
    pub address1_required: bool,
    pub postal_code_and_city_required: bool,
    pub country_required: bool,
    pub state_required: bool,
}

pub const VAULT_RULES: CardRules = CardRules {
    address1_required: true,
    postal_code_and_city_required: true,
    country_required: true,
    state_required: true,
};
pub const CHARGE_RULES: CardRules = CardRules {
    address1_required: false,
    postal_code_and_city_required: true,
    country_required: false,
    state_required: true,
};
pub const AUTHORIZE_RULES: CardRules = CardRules {
    address1_required: true,
    postal_code_and_city_required: true,
    country_required: true,
    state_required: true,
};
/// A card without any billing address (docs/flexpay.md §3): each field is only checked for
/// its length or value.
const NO_ADDRESS_RULES: CardRules = CardRules {
    address1_required: false,
    postal_code_and_city_required: false,
    country_required: false,
    state_required: false,
};

/// The fields that make up a card's billing address.
const BILLING_ADDRESS: [&str; 6] = [
    "address1",
    "address2",
    "postalCode",
    "city",
    "state",
    "country",
];

pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// The root object (`transaction`, `paymentMethod`, `gateway`), matched case-insensitively.
pub fn root<'a>(body: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    let map = body.as_object()?;
    map.get(key)
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .and_then(Value::as_object)
}

/// `paymentMethod{creditCard{…}}` and flat `paymentMethod{…}` read as one object; nested wins.
fn merged_card(pm: &Map<String, Value>) -> Map<String, Value> {
    let mut out = pm.clone();
    let nested = pm
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("creditCard"))
        .and_then(|(_, v)| v.as_object().cloned());
    if let Some(cc) = nested {
        for (k, v) in cc {
            out.insert(k, v);
        }
    }
    out
}

fn holder(o: &Obj, rules: CardRules, customer_id: Option<String>) -> Bound<Holder> {
    let first = o.string(&opt("firstName", 50, 50091))?;
    let last = o.string(&opt("lastName", 50, 50092))?;
    let full = o.string(&opt("fullName", 100, 50028))?;
    let (first, last) = match (first, last, &full) {
        (Some(f), Some(l), _) => (Some(f), Some(l)),
        (f, l, Some(full)) => {
            let (pf, pl) = split_full_name(full);
            (f.or(pf), l.or(pl))
        }
        (None, None, None) => {
            return Err(fail(
                50090,
                format!("{} needs fullName or both firstName and lastName", o.path()),
            ));
        }
        (Some(_), None, None) => {
            return Err(fail(50089, format!("{} is required", o.field("lastName"))));
        }
        (None, Some(_), None) => {
            return Err(fail(50088, format!("{} is required", o.field("firstName"))));
        }
    };
    // A card sent with no billing address at all is taken as it is (the vendor approves it,
    // AVS then has no data); once any address field is there, the endpoint's table applies.
    let rules = if BILLING_ADDRESS.iter().any(|k| o.has(k)) {
        rules
    } else {
        NO_ADDRESS_RULES
    };
    let address1 = if rules.address1_required {
        Some(o.required(&req("address1", 255, 50099, 50100))?)
    } else {
        o.string(&opt("address1", 255, 50100))?
    };
    let address2 = o.string(&opt("address2", 255, 50119))?;
    let postal_code = if rules.postal_code_and_city_required {
        Some(o.required(&req("postalCode", 100, 50094, 50095))?)
    } else {
        o.string(&opt("postalCode", 100, 50095))?
    };
    let city = if rules.postal_code_and_city_required {
        Some(o.required(&req("city", 100, 50097, 50098))?)
    } else {
        o.string(&opt("city", 100, 50098))?
    };
    let state = if rules.state_required {
        Some(o.required(&req("state", 100, 50096, 50029))?)
    } else {
        o.string(&opt("state", 100, 50029))?
    };
    let country = country(o)?;
    if country.is_none() && rules.country_required {
        return Err(fail(50093, format!("{} is required", o.field("country"))));
    }
    let email = o.string(&opt("email", 100, 50015))?;
    let phone_number = o.string(&opt("phoneNumber", 100, 50020))?;
    Ok(Holder {
        first_name: first,
        last_name: last,
        full_name: full,
        customer_id,
        address1,
        address2,
        postal_code,
        city,
        state,
        country,
        email,
        phone_number,
    })
}

/// An ISO 3166-1 alpha-2 or alpha-3 code or English country name, normalised to alpha-3
/// (50039 otherwise; docs/flexpay.md §3).
fn country(o: &Obj) -> Bound<Option<String>> {
    o.text("country", 50039)?
        .map(|c| {
            openflex_domain::country::to_alpha3(&c)
                .map(str::to_string)
                .ok_or_else(|| {
                    fail(
                        50039,
                        format!(
                            "{} must be an ISO 3166-1 alpha-2 or alpha-3 code or an English country name",
                            o.field("country")
                        ),
                    )
                })
        })
        .transpose()
}

fn split_full_name(full: &str) -> (Option<String>, Option<String>) {
    match full.trim().rsplit_once(' ') {
        Some((f, l)) => (Some(f.trim().to_string()), Some(l.trim().to_string())),
        None => (None, Some(full.trim().to_string())),
    }
}

fn card_number(o: &Obj) -> Bound<Secret<String>> {
    let raw = o.text("creditCardNumber", 50060)?.ok_or_else(|| {
        fail(
            50059,
            format!("{} is required", o.field("creditCardNumber")),
        )
    })?;
    let raw = Secret::new(raw);
    if raw.expose().chars().count() > 22 {
        return Err(fail(
            50060,
            format!(
                "{} must be at most 22 characters",
                o.field("creditCardNumber")
            ),
        ));
    }
    match card::normalize_pan(raw.expose()) {
        Ok(d) => Ok(Secret::new(d)),
        Err(PanError::BadLength) => Err(fail(
            50060,
            format!("{} must have 12 to 19 digits", o.field("creditCardNumber")),
        )),
        Err(PanError::NotDigits) => Err(fail(
            50136,
            format!("{} must contain digits only", o.field("creditCardNumber")),
        )),
    }
}

fn expiry(o: &Obj) -> Bound<Expiry> {
    let month = o
        .text("expiryMonth", 50056)?
        .ok_or_else(|| fail(50055, format!("{} is required", o.field("expiryMonth"))))?;
    let month = card::parse_month(&month).ok_or_else(|| {
        fail(
            50056,
            format!("{} must be MM, 01 to 12", o.field("expiryMonth")),
        )
    })?;
    let year = o
        .text("expiryYear", 50058)?
        .ok_or_else(|| fail(50057, format!("{} is required", o.field("expiryYear"))))?;
    Ok(Expiry {
        month,
        year: four_digit_year(o, &year)?,
    })
}

/// `expiryYear` is the seed's `String(4)` YYYY: a two-digit year is refused (50058), not
/// guessed into a century (docs/flexpay.md §3).
fn four_digit_year(o: &Obj, year: &str) -> Bound<u16> {
    card::parse_four_digit_year(year).ok_or_else(|| {
        fail(
            50058,
            format!("{} must be four digits, YYYY", o.field("expiryYear")),
        )
    })
}

fn cvv(o: &Obj) -> Bound<Option<Secret<String>>> {
    match o.text("cvv", 50136)? {
        None => Ok(None),
        Some(c) if card::cvv_well_formed(&c) => Ok(Some(Secret::new(c))),
        Some(_) => Err(fail(
            50136,
            format!("{} must be 3 or 4 digits", o.field("cvv")),
        )),
    }
}

/// A card (number, expiry, cvv, holder), for vaulting or a pass-in payment.
pub fn new_card(o: &Obj, rules: CardRules, customer_id: Option<String>) -> Bound<NewCard> {
    let pan = card_number(o)?;
    let expiry = expiry(o)?;
    let cvv = cvv(o)?;
    let holder = holder(o, rules, customer_id)?;
    Ok(NewCard {
        pan,
        cvv,
        expiry,
        holder,
    })
}

/// The third-party gateway token variant.
pub fn gateway_card(o: &Obj, rules: CardRules, customer_id: Option<String>) -> Bound<GatewayCard> {
    let id = o
        .string(&opt("gatewayPaymentMethodId", 256, 50136))?
        .ok_or_else(|| {
            fail(
                50138,
                format!("{} is required", o.field("gatewayPaymentMethodId")),
            )
        })?;
    let mari = o
        .string(&opt("merchantAccountReferenceId", 512, 50136))?
        .ok_or_else(|| {
            fail(
                50136,
                format!(
                    "{} is required with gatewayPaymentMethodId",
                    o.field("merchantAccountReferenceId")
                ),
            )
        })?;
    let first_six = o.text("firstSixDigits", 50136)?;
    if !first_six
        .as_ref()
        .is_some_and(|f| f.len() == 6 && f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(fail(
            50136,
            format!("{} must be six digits", o.field("firstSixDigits")),
        ));
    }
    let last_four = o.text("lastFourDigits", 50136)?;
    if !last_four
        .as_ref()
        .is_some_and(|f| f.len() == 4 && f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(fail(
            50136,
            format!("{} must be four digits", o.field("lastFourDigits")),
        ));
    }
    let holder = holder(o, rules, customer_id)?;
    Ok(GatewayCard {
        gateway_payment_method_id: id,
        merchant_account_reference_id: Some(mari),
        first_six,
        last_four,
        holder,
    })
}

/// What `POST /paymentmethods` carries: a card, or a third-party token.
pub enum VaultInput {
    Card(NewCard),
    Gateway(GatewayCard),
}

pub fn vault_input(pm: &Map<String, Value>) -> Bound<VaultInput> {
    let top = Obj::new(pm, "paymentMethod");
    let customer_id = top.string(&opt("customerId", 50, 50014))?;
    let merged = merged_card(pm);
    let o = Obj::new(&merged, "paymentMethod");
    if !o.has("creditCardNumber") && (o.has("gatewayPaymentMethodId") || o.has("firstSixDigits")) {
        // The seed's third-party token tables do not require address1 or country.
        return gateway_card(&o, CHARGE_RULES, customer_id).map(VaultInput::Gateway);
    }
    new_card(&o, VAULT_RULES, customer_id).map(VaultInput::Card)
}

/// `PUT /paymentmethods/{id}`: every field optional, lengths as in the seed.
pub fn holder_patch(pm: &Map<String, Value>) -> Bound<(Holder, Option<u8>, Option<u16>)> {
    let merged = merged_card(pm);
    let o = Obj::new(&merged, "paymentMethod");
    let month = match o.text("expiryMonth", 50056)? {
        None => None,
        Some(m) => Some(card::parse_month(&m).ok_or_else(|| {
            fail(
                50056,
                format!("{} must be MM, 01 to 12", o.field("expiryMonth")),
            )
        })?),
    };
    let year = match o.text("expiryYear", 50058)? {
        None => None,
        Some(y) => Some(four_digit_year(&o, &y)?),
    };
    let country = country(&o)?;
    let h = Holder {
        first_name: o.string(&opt("firstName", 50, 50091))?,
        last_name: o.string(&opt("lastName", 50, 50092))?,
        full_name: o.string(&opt("fullName", 100, 50028))?,
        customer_id: o.string(&opt("customerId", 50, 50014))?,
        address1: o.string(&opt("address1", 255, 50100))?,
        address2: o.string(&opt("address2", 255, 50119))?,
        postal_code: o.string(&opt("postalCode", 100, 50095))?,
        city: o.string(&opt("city", 100, 50098))?,
        state: o.string(&opt("state", 100, 50029))?,
        country,
        email: o.string(&opt("email", 100, 50015))?,
        phone_number: o.string(&opt("phoneNumber", 100, 50020))?,
    };
    Ok((h, month, year))
}

/// `PUT /paymentmethods/{id}/recache`: `paymentMethod{cvv}` or `paymentMethod{creditCard{cvv}}`.
pub fn recache_cvv(pm: &Map<String, Value>) -> Bound<Secret<String>> {
    let merged = merged_card(pm);
    let o = Obj::new(&merged, "paymentMethod");
    cvv(&o)?.ok_or_else(|| fail(50136, format!("{} is required", o.field("cvv"))))
}

fn currency(o: &Obj) -> Bound<Currency> {
    let code = o
        .text("currencyCode", 50073)?
        .ok_or_else(|| fail(50045, format!("{} is required", o.field("currencyCode"))))?;
    Currency::parse(&code).map_err(|e| match e {
        CurrencyError::BadLength => fail(
            50073,
            format!("{} must be three letters", o.field("currencyCode")),
        ),
        CurrencyError::Unknown => fail(
            50000,
            format!(
                "{} {code:?} is not an ISO 4217 currency",
                o.field("currencyCode")
            ),
        ),
    })
}

fn shipping(o: &Obj) -> Bound<Option<Address>> {
    let Some(s) = o.object("shippingAddress", 50000)? else {
        return Ok(None);
    };
    let s = Obj::new_child(&s, "transaction.shippingAddress");
    Ok(Some(Address {
        address1: s.string(&opt("address1", 255, 50118))?,
        address2: s.string(&opt("address2", 255, 50117))?,
        postal_code: s.string(&opt("postalCode", 100, 50114))?,
        city: s.string(&opt("city", 100, 50116))?,
        state: s.string(&opt("state", 100, 50115))?,
        country: s.string(&opt("country", 50, 50113))?,
    }))
}

fn payment_plan(o: &Obj) -> Bound<Option<PaymentPlan>> {
    let Some(p) = o.object("paymentPlan", 50000)? else {
        return Ok(None);
    };
    let p = Obj::new_child(&p, "transaction.paymentPlan");
    let billing_cycle = p.int("billingCycle")?;
    if billing_cycle.is_some_and(|c| c < 0) {
        return Err(fail(
            50000,
            "transaction.paymentPlan.billingCycle must not be negative",
        ));
    }
    Ok(Some(PaymentPlan {
        sku: p.string(&opt("sku", 150, 50122))?,
        category: p.string(&opt("category", 150, 50121))?,
        billing_plan: p.string(&opt("billingPlan", 50, 50120))?,
        billing_cycle,
    }))
}

fn previous(o: &Obj) -> Bound<Option<PreviousTransaction>> {
    let Some(r) = o.object("References", 50000)? else {
        return Ok(None);
    };
    let Some(p) = r.object("PreviousTransaction", 50000)? else {
        return Ok(None);
    };
    let p = Obj::new_child(&p, "transaction.References.PreviousTransaction");
    let mari = p.string(&opt("merchantAccountReferenceId", 512, 50000))?;
    let code = p.string(&opt("gatewayCode", 50, 50000))?;
    let message = match p.string(&opt("gatewayMessage", 256, 50000))? {
        Some(m) => Some(m),
        None => p.string(&opt("gatewayMesage", 256, 50000))?,
    };
    let date = p.text("transactionDate", 50000)?;
    if let Some(d) = &date
        && parse_datetime(d).is_none()
    {
        return Err(fail(
            50000,
            format!(
                "{} must be an ISO 8601 date-time",
                p.field("transactionDate")
            ),
        ));
    }
    if mari.is_none() && (code.is_some() || message.is_some() || date.is_some()) {
        return Err(fail(
            50000,
            format!(
                "{} is required with gatewayCode, gatewayMessage or transactionDate",
                p.field("merchantAccountReferenceId")
            ),
        ));
    }
    if date.is_none() && (code.is_some() || message.is_some()) {
        return Err(fail(
            50000,
            format!(
                "{} is required with gatewayCode or gatewayMessage",
                p.field("transactionDate")
            ),
        ));
    }
    Ok(Some(PreviousTransaction {
        merchant_account_reference_id: mari,
        gateway_code: code,
        gateway_message: message,
        transaction_date: date,
    }))
}

/// `POST /gateways/charge` and `/gateways/authorize`.
pub fn payment(t: &Map<String, Value>, kind: PaymentKind) -> Bound<PaymentRequest> {
    let o = Obj::new(t, "transaction");
    let merchant_transaction_id = o.required(&id("merchantTransactionId", 256, 50103, 50104))?;
    let order_id = o.required(&id("orderId", 50, 50126, 50127))?;
    let description = o.string(&opt("description", 255, 50124))?;
    let mut customer_id = o.string(&opt("customerId", 50, 50014))?;
    let currency = currency(&o)?;
    let amount = o
        .int("amount")?
        .ok_or_else(|| fail(50000, "transaction.amount is required"))?;
    if !(1..=MAX_AMOUNT).contains(&amount) {
        return Err(fail(
            50000,
            "transaction.amount must be a positive number of cents",
        ));
    }
    let rules = match kind {
        PaymentKind::Charge => CHARGE_RULES,
        PaymentKind::Authorize => AUTHORIZE_RULES,
    };
    let token_key = o.get("paymentMethodId");
    let source = match (token_key, o.object("paymentMethod", 50136)?) {
        (Some(_), Some(_)) if o.has("paymentMethodId") => {
            return Err(fail(
                50136,
                "send either transaction.paymentMethodId or transaction.paymentMethod, not both",
            ));
        }
        (Some(_), None) => {
            let id = o
                .text("paymentMethodId", 50134)?
                .ok_or_else(|| fail(50133, "transaction.paymentMethodId is required"))?;
            if id.chars().count() > 50 {
                return Err(fail(
                    50134,
                    "transaction.paymentMethodId must be at most 50 characters",
                ));
            }
            PaymentSource::Token(id)
        }
        (_, Some(_)) => {
            let retain = o.bool("retainOnSuccess")?.unwrap_or(false);
            let pm_map = root(&Value::Object(t.clone()), "paymentMethod")
                .cloned()
                .unwrap_or_default();
            let merged = merged_card(&pm_map);
            let pm = Obj::new(&merged, "transaction.paymentMethod");
            // Client libraries put the customer on the card (`paymentMethod.customerId`);
            // the seed puts it on the transaction. Either names both.
            let card_customer = pm.string(&opt("customerId", 50, 50014))?;
            let holder_customer = card_customer.clone().or_else(|| customer_id.clone());
            customer_id = customer_id.or(card_customer);
            if pm.has("creditCardNumber") {
                PaymentSource::Card {
                    card: new_card(&pm, rules, holder_customer)?,
                    retain,
                }
            } else if pm.has("gatewayPaymentMethodId")
                || pm.has("merchantAccountReferenceId")
                || pm.has("firstSixDigits")
                || pm.has("lastFourDigits")
            {
                PaymentSource::GatewayToken {
                    card: gateway_card(&pm, rules, holder_customer)?,
                    retain,
                }
            } else {
                return Err(fail(
                    50059,
                    "transaction.paymentMethod.creditCardNumber is required",
                ));
            }
        }
        (None, None) => {
            return Err(fail(
                50135,
                "transaction.paymentMethodId or transaction.paymentMethod is required",
            ));
        }
    };
    let customer_ip = o.string(&opt("customerIp", 15, 50037))?;
    if let Some(ip) = &customer_ip
        && ip.parse::<std::net::Ipv4Addr>().is_err()
    {
        return Err(fail(
            50037,
            "transaction.customerIp must be an IPv4 address like 255.255.255.255",
        ));
    }
    let shipping_address = shipping(&o)?;
    let gateway_token = match o.string(&opt("gatewayToken", 50, 50128))? {
        Some(g) => Some(g),
        None => o.string(&opt("assignedGatewayToken", 50, 50128))?,
    };
    let payment_plan = payment_plan(&o)?;
    let retry_count = o.int("retryCount")?.unwrap_or(0);
    if !(0..=1000).contains(&retry_count) {
        return Err(fail(
            50000,
            "transaction.retryCount must be between 0 and 1000",
        ));
    }
    let date_first_attempt = match o.text("dateFirstAttempt", 50000)? {
        // A retry presenting referenceData continues a chain that carries the date.
        None if retry_count > 1 && !o.has("referenceData") => {
            return Err(fail(
                50000,
                "transaction.dateFirstAttempt is required when retryCount is greater than 1",
            ));
        }
        None => None,
        Some(d) => Some(parse_datetime(&d).ok_or_else(|| {
            fail(
                50000,
                "transaction.dateFirstAttempt must be an ISO 8601 date-time",
            )
        })?),
    };
    let reference_data = o.string(&opt("referenceData", 512, 50111))?;
    let disable_customer_recovery = o.bool("disableCustomerRecovery")?.unwrap_or(false);
    let mut custom_variables: [Option<String>; 5] = Default::default();
    for (i, slot) in custom_variables.iter_mut().enumerate() {
        const KEYS: [&str; 5] = [
            "customVariable1",
            "customVariable2",
            "customVariable3",
            "customVariable4",
            "customVariable5",
        ];
        *slot = o.string(&opt(KEYS[i], 50, 50106 + i as u32))?;
    }
    let previous_transaction = previous(&o)?;
    let payment_model = o.string(&opt("paymentModel", 50, 50000))?;
    Ok(PaymentRequest {
        kind,
        merchant_transaction_id,
        order_id,
        currency,
        amount,
        customer_id,
        source,
        gateway_token,
        retry_count,
        date_first_attempt,
        reference_data,
        details: Details {
            description,
            customer_ip,
            shipping_address,
            custom_variables,
            payment_plan,
            payment_model,
            previous_transaction,
            disable_customer_recovery,
            rescue_order: None,
            reason: None,
        },
        initiator: None,
    })
}

/// Capture / void / refund bodies.
pub fn follow_up(
    t: &Map<String, Value>,
    kind: FollowUpKind,
    original_id: &str,
) -> Bound<FollowUpRequest> {
    let o = Obj::new(t, "transaction");
    let merchant_transaction_id = o.required(&id("merchantTransactionId", 256, 50103, 50104))?;
    let amount = match kind {
        FollowUpKind::Void => 0,
        _ => o.int("amount")?.unwrap_or(0),
    };
    if !(0..=MAX_AMOUNT).contains(&amount) {
        return Err(fail(
            50000,
            "transaction.amount must be zero (full amount) or a positive number of cents",
        ));
    }
    let disable_customer_recovery = o.bool("disableCustomerRecovery")?.unwrap_or(false);
    Ok(FollowUpRequest {
        kind,
        original_id: original_id.to_string(),
        merchant_transaction_id,
        amount,
        disable_customer_recovery,
        reason: None,
    })
}
