//! Request bodies of the Checkout API v71, built from the connector request alone (no clock, no
//! randomness). That is what makes `inquire` work: Adyen answers a repeated `Idempotency-Key`
//! with the stored answer only when the body is the same, so the replay must rebuild the very
//! bytes of the first call. `serde_json::Map` keeps keys sorted, so equal inputs give equal text.

use openflex_engine::connector::{
    Billing, ConnectorRequest, Initiator, Instrument, Operation, StoredCredential,
};
use serde_json::{Map, Value, json};

/// Keys whose values the debug log never shows.
pub(super) const SENSITIVE: &[&str] = &["number", "cvc", "expiryMonth", "expiryYear"];

/// Adyen requires `returnUrl` on every `/payments` call; it is only used for redirect flows
/// (3-D Secure, local methods), which this connector does not run: such answers are refusals.
pub(super) const RETURN_URL: &str = "https://openflex.invalid/adyen/return";

/// Why a request could not be built (nothing was sent).
pub(super) struct Unbuildable(pub &'static str);

/// `POST /payments` for a sale or an authorization.
pub(super) fn payment(req: &ConnectorRequest<'_>, merchant: &str) -> Result<Value, Unbuildable> {
    let mut body = Map::new();
    body.insert("amount".into(), amount(req));
    body.insert("reference".into(), req.reference.into());
    body.insert("merchantAccount".into(), merchant.into());
    body.insert("returnUrl".into(), RETURN_URL.into());
    let mut additional = Map::new();
    if req.operation == Operation::Authorize {
        additional.insert("manualCapture".into(), "true".into());
    }
    let mut method = Map::new();
    method.insert("type".into(), "scheme".into());
    match req.instrument {
        Some(Instrument::Card(card)) => {
            method.insert("number".into(), card.pan.expose().as_str().into());
            let expiry = card
                .expiry
                .ok_or(Unbuildable("the card has no expiry date"))?;
            method.insert("expiryMonth".into(), expiry.month_text().into());
            method.insert("expiryYear".into(), format!("{:04}", expiry.year).into());
            if let Some(cvv) = &card.cvv {
                method.insert("cvc".into(), cvv.expose().as_str().into());
            }
            if let Some(name) = holder_name(&req.billing) {
                method.insert("holderName".into(), name.into());
            }
            if req.stored_credential.initiator == Initiator::Merchant
                && let Some(ntid) = req.stored_credential.network_transaction_id
            {
                method.insert("networkPaymentReference".into(), ntid.into());
            }
        }
        Some(Instrument::GatewayToken(token)) => {
            let (shopper, stored) = split_token(token);
            method.insert("storedPaymentMethodId".into(), stored.into());
            if let Some(shopper) = shopper {
                body.insert("shopperReference".into(), shopper.into());
            }
        }
        None => return Err(Unbuildable("a payment needs a card or a gateway token")),
    }
    body.insert("paymentMethod".into(), Value::Object(method));
    stored_credential(&mut body, req.stored_credential, &req.instrument);
    if let Some(address) = billing_address(&req.billing) {
        body.insert("billingAddress".into(), address);
    }
    if let Some(email) = req.billing.email {
        body.insert("shopperEmail".into(), email.into());
    }
    if let Some(ip) = req.billing.ip {
        body.insert("shopperIP".into(), ip.into());
    }
    if !additional.is_empty() {
        body.insert("additionalData".into(), Value::Object(additional));
    }
    Ok(Value::Object(body))
}

/// `POST /payments/{pspReference}/captures` and `/refunds`.
pub(super) fn modification_with_amount(req: &ConnectorRequest<'_>, merchant: &str) -> Value {
    json!({
        "amount": amount(req),
        "merchantAccount": merchant,
        "reference": req.reference,
    })
}

/// `POST /payments/{pspReference}/cancels`.
pub(super) fn cancel(req: &ConnectorRequest<'_>, merchant: &str) -> Value {
    json!({ "merchantAccount": merchant, "reference": req.reference })
}

fn amount(req: &ConnectorRequest<'_>) -> Value {
    json!({ "currency": req.currency, "value": req.amount })
}

/// A FlexPay third-party token for Adyen is `shopperReference:storedPaymentMethodId` (Adyen
/// needs both to charge a stored card) or a bare `storedPaymentMethodId`. The id is
/// alphanumeric, so the last `:` separates them even when the shopper reference has colons.
pub(super) fn split_token(token: &str) -> (Option<&str>, &str) {
    match token.rsplit_once(':') {
        Some((shopper, stored)) if !shopper.is_empty() => (Some(shopper), stored),
        _ => (None, token),
    }
}

/// The card-network labels (Adyen "tokenization" docs): a first customer-initiated payment
/// that keeps the card is `Ecommerce` + `CardOnFile`; a merchant-initiated one is `ContAuth` +
/// `UnscheduledCardOnFile`; a shopper-present payment with an Adyen token is `ContAuth` +
/// `CardOnFile`. For raw cards the scheme id of the first payment riding in
/// `paymentMethod.networkPaymentReference`. Adyen stores a card itself only with
/// `storePaymentMethod` and a `shopperReference`; openflex vaults cards itself and has no
/// shopper reference for a raw card, so it never asks Adyen to store one.
fn stored_credential(
    body: &mut Map<String, Value>,
    sc: StoredCredential<'_>,
    instrument: &Option<Instrument<'_>>,
) {
    let token = matches!(instrument, Some(Instrument::GatewayToken(_)));
    let (interaction, model) = match sc.initiator {
        Initiator::Merchant => ("ContAuth", Some("UnscheduledCardOnFile")),
        // An Adyen token charged with the shopper present: a returning shopper's card on file.
        Initiator::Customer if token => ("ContAuth", Some("CardOnFile")),
        Initiator::Customer if sc.stores_card => ("Ecommerce", Some("CardOnFile")),
        Initiator::Customer => ("Ecommerce", None),
    };
    body.insert("shopperInteraction".into(), interaction.into());
    if let Some(model) = model {
        body.insert("recurringProcessingModel".into(), model.into());
    }
}

fn holder_name(b: &Billing<'_>) -> Option<String> {
    let name = [b.first_name, b.last_name]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// Adyen wants every field of `billingAddress` or none. Our address has one street line, so it
/// goes to `street` whole and `houseNumberOrName` says it is not separate.
fn billing_address(b: &Billing<'_>) -> Option<Value> {
    let (street, city, postal, country) = (b.address1?, b.city?, b.postal_code?, b.country?);
    let mut address = json!({
        "street": street,
        "houseNumberOrName": "N/A",
        "city": city,
        "postalCode": postal,
        "country": country,
    });
    if let Some(state) = b.state {
        address["stateOrProvince"] = state.into();
    }
    Some(address)
}
