//! Live gateways in the portal: each live type is created from a form built from its
//! connector's settings fields, the sandbox type only in sandbox mode; a refused form names the
//! field and keeps what was typed except the credentials; no secret typed into a form ever
//! appears in a portal page; and a live transaction's page shows the gateway's own code,
//! message, transaction id and AVS / CVV results.

use crate::dual;
use crate::helpers::*;
use crate::live::Gw;
use crate::platform::portal::{Page, Portal};
use reqwest::StatusCode;
use serde_json::json;

dual!(
    gateways_of_each_live_type_are_created_from_the_portal_and_their_secrets_never_shown,
    the_sandbox_type_is_offered_in_sandbox_mode_only,
);

const STRIPE_KEY: &str = "sk_test_PortalSecret0001";
const ADYEN_KEY: &str = "AQEportal-adyen-secret-0002";
const ADYEN_HMAC: &str = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
const NMI_KEY: &str = "nmi-portal-secret-0003";
const ANET_KEY: &str = "PortalTxnKey0004";
const ANET_SIGNATURE: &str = "PORTALSIGNATURE0005";
const SECRETS: [&str; 6] = [
    STRIPE_KEY,
    ADYEN_KEY,
    ADYEN_HMAC,
    NMI_KEY,
    ANET_KEY,
    ANET_SIGNATURE,
];

async fn create(p: &mut Portal<'_>, gateway_type: &str, fields: &[(&str, &str)]) -> Page {
    let mut form = vec![("gateway_type", gateway_type)];
    form.extend_from_slice(fields);
    p.submit(
        &format!("/portal/gateways/new?type={gateway_type}"),
        "/portal/gateways",
        &form,
    )
    .await
}

fn assert_no_secret(path: &str, page: &Page) {
    for s in SECRETS {
        assert!(!page.text.contains(s), "{path} shows a secret");
    }
}

async fn gateways_of_each_live_type_are_created_from_the_portal_and_their_secrets_never_shown(
    app: TestApp,
) {
    let mut p = Portal::signed_in(&app).await;
    let picker = p.get("/portal/gateways/new").await;
    assert_eq!(picker.status, StatusCode::OK, "{}", picker.text);
    for t in ["stripe", "adyen", "nmi", "authorizenet"] {
        assert!(
            picker
                .text
                .contains(&format!("/portal/gateways/new?type={t}")),
            "{t} offered: {}",
            picker.text
        );
    }
    let form = p.get("/portal/gateways/new?type=authorizenet").await.text;
    assert!(
        form.contains(r#"name="setting.transactionKey" type="password""#),
        "{form}"
    );
    assert!(form.contains(r#"name="setting.apiLoginId""#), "{form}");

    // A refused form names the field, keeps the name and the non-secret settings, and leaves
    // every credential input empty.
    let page = create(
        &mut p,
        "adyen",
        &[
            ("name", "Kept name"),
            ("setting.apiKey", ADYEN_KEY),
            ("setting.merchantAccount", "KeptECOM"),
            ("setting.hmacKey", "not-hex"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(page.text.contains("hmacKey must be"), "{}", page.text);
    assert!(page.text.contains(r#"value="Kept name""#), "{}", page.text);
    assert!(page.text.contains(r#"value="KeptECOM""#), "{}", page.text);
    assert_no_secret("the refused Adyen form", &page);
    let page = create(
        &mut p,
        "stripe",
        &[
            ("name", "S"),
            ("setting.secretKey", "pk_test_notasecretkey"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(page.text.contains("secretKey"), "{}", page.text);
    assert!(
        !page.text.contains("pk_test_notasecretkey"),
        "{}",
        page.text
    );
    let page = create(&mut p, "nmi", &[("name", "N")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(
        page.text.contains("securityKey is required"),
        "{}",
        page.text
    );

    let made = [
        (
            "stripe",
            vec![("name", "Portal Stripe"), ("setting.secretKey", STRIPE_KEY)],
        ),
        (
            "adyen",
            vec![
                ("name", "Portal Adyen"),
                ("setting.apiKey", ADYEN_KEY),
                ("setting.merchantAccount", "PortalECOM"),
                ("setting.liveUrlPrefix", ""),
                ("setting.hmacKey", ADYEN_HMAC),
            ],
        ),
        (
            "nmi",
            vec![("name", "Portal NMI"), ("setting.securityKey", NMI_KEY)],
        ),
        (
            "authorizenet",
            vec![
                ("name", "Portal Authorize.net"),
                ("setting.apiLoginId", "portalLogin"),
                ("setting.transactionKey", ANET_KEY),
                ("setting.signatureKey", ANET_SIGNATURE),
                ("setting.environment", "sandbox"),
            ],
        ),
    ];
    for (t, fields) in &made {
        let page = create(&mut p, t, fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{t}: {}", page.text);
        assert_eq!(page.location(), "/portal/settings?msg=gateway-created");
    }
    // The API sees them, with their types and without their settings.
    let (status, v) = app.get("/v1/gateways").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for (t, fields) in &made {
        let g = v["gateways"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == fields[0].1)
            .unwrap_or_else(|| panic!("{t} gateway listed: {v}"));
        assert_eq!(g["gatewayType"], *t, "{g}");
    }
    for s in SECRETS {
        assert!(!v.to_string().contains(s), "the API shows a secret");
    }

    let settings = p.get("/portal/settings").await;
    assert!(
        settings.text.contains("Portal Authorize.net"),
        "{}",
        settings.text
    );
    for path in [
        "/portal/",
        "/portal/settings",
        "/portal/settings?msg=gateway-created",
        "/portal/gateways/new",
        "/portal/gateways/new?type=stripe",
        "/portal/gateways/new?type=adyen",
        "/portal/gateways/new?type=nmi",
        "/portal/gateways/new?type=authorizenet",
        "/portal/transactions",
        "/portal/credentials",
        "/portal/webhooks",
    ] {
        let page = p.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        assert_no_secret(path, &page);
    }
}

async fn the_sandbox_type_is_offered_in_sandbox_mode_only(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let picker = p.get("/portal/gateways/new").await.text;
    assert!(
        picker.contains("/portal/gateways/new?type=sandbox"),
        "{picker}"
    );
    let page = create(&mut p, "sandbox", &[("name", "Portal sandbox")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);

    let page = p
        .submit("/portal/settings", "/portal/mode", &[("mode", "live")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let picker = p.get("/portal/gateways/new").await.text;
    assert!(picker.contains("Live"), "in live mode: {picker}");
    assert!(!picker.contains("type=sandbox"), "{picker}");
    assert!(
        picker.contains("/portal/gateways/new?type=stripe"),
        "{picker}"
    );
    // Asked for by URL, the sandbox type is not offered: the type picker answers instead.
    let page = p.get("/portal/gateways/new?type=sandbox").await.text;
    assert!(page.contains("Choose the gateway type"), "{page}");
    assert!(!page.contains(r#"name="gateway_type""#), "{page}");
    let page = p
        .submit(
            "/portal/gateways/new",
            "/portal/gateways",
            &[("gateway_type", "sandbox"), ("name", "Sneaky sandbox")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(page.text.contains("gatewayType"), "{}", page.text);
    // A live gateway made in live mode is listed in live mode only.
    let page = create(
        &mut p,
        "stripe",
        &[("name", "Live Stripe"), ("setting.secretKey", STRIPE_KEY)],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let live = p.get("/portal/settings").await.text;
    assert!(
        live.contains("Live Stripe") && !live.contains("Portal sandbox"),
        "{live}"
    );
    assert!(!live.contains(STRIPE_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transaction_page_shows_the_gateways_answer_sqlite() {
    the_transaction_page_shows_the_gateways_answer(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transaction_page_shows_the_gateways_answer_postgres() {
    the_transaction_page_shows_the_gateways_answer(Backend::Postgres).await
}

/// Minimal HTML escaping, as maud renders text.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn the_transaction_page_shows_the_gateways_answer(backend: Backend) {
    let gw = Gw::Stripe;
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    // The portal user's merchant gets live credentials and a Stripe gateway.
    let live = app.issue(&app.merchant_id, "live").await;
    let key = live["flexpay"]["apiKey"].as_str().unwrap().to_string();
    let (status, v) = app
        .post_as(
            &key,
            "/v1/gateways",
            json!({"gateway": {"name": "stripe", "gatewayType": "stripe", "settings": gw.settings()}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let pay = |mtid: &'static str, number: &'static str| {
        let mut body = card_payment(mtid, 1500);
        let pm = &mut body["transaction"]["paymentMethod"];
        pm["creditCardNumber"] = json!(number);
        pm["expiryYear"] = json!("2030");
        pm["cvv"] = json!("879");
        body
    };
    // Approved with failed address checks, and declined for insufficient funds.
    let (_, approved) = app
        .post_as(
            &key,
            "/v1/gateways/charge",
            pay("portal-avs", "4000000000000010"),
        )
        .await;
    let (_, declined) = app
        .post_as(
            &key,
            "/v1/gateways/charge",
            pay("portal-nsf", "4000000000009995"),
        )
        .await;

    let mut p = Portal::signed_in(&app).await;
    let page = p
        .submit("/portal/settings", "/portal/mode", &[("mode", "live")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    for t in [&approved["transaction"], &declined["transaction"]] {
        let id = t["transactionId"].as_str().expect("a transaction");
        let page = p.get(&format!("/portal/transactions/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let gateway_id = t["gatewayTransactionId"].as_str().unwrap_or_default();
        assert!(
            !gateway_id.is_empty() && page.text.contains(gateway_id),
            "{t} {}",
            page.text
        );
        for k in ["gatewayCode", "gatewayMessage", "avsCode", "cvvCode"] {
            if let Some(v) = t["response"][k].as_str() {
                assert!(page.text.contains(&escaped(v)), "{k} {v}: {}", page.text);
            }
        }
        assert!(!page.text.contains("4000000000"), "a card number shown");
    }
    assert!(
        declined["transaction"]["response"]["gatewayCode"].is_string(),
        "{declined}"
    );
    let page = p
        .get(&format!(
            "/portal/transactions/{}",
            declined["transaction"]["transactionId"].as_str().unwrap()
        ))
        .await
        .text;
    assert!(
        page.contains("Gateway code") && page.contains("Gateway message"),
        "{page}"
    );
    assert!(
        approved["transaction"]["response"]["avsCode"].is_string(),
        "{approved}"
    );
    let page = p
        .get(&format!(
            "/portal/transactions/{}",
            approved["transaction"]["transactionId"].as_str().unwrap()
        ))
        .await
        .text;
    assert!(page.contains("AVS result"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_of_every_type_are_edited_and_tested_from_the_portal_sqlite() {
    gateways_of_every_type_are_edited_and_tested_from_the_portal(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_of_every_type_are_edited_and_tested_from_the_portal_postgres() {
    gateways_of_every_type_are_edited_and_tested_from_the_portal(Backend::Postgres).await
}

const EDIT_STRIPE_KEY: &str = "sk_test_PortalEditKey0006";
const EDIT_WEBHOOK_SECRET: &str = "whsec_PortalEditSecret0007";
const REVOKED_STRIPE_KEY: &str = "sk_test_revokedPortalKey0008wxyz";
const REFUSED_TYPED_KEY: &str = "sk_test_TypedThenRefused0009";

/// The token of the gateway named `name`, from the FlexPay API.
async fn token_of(app: &TestApp, name: &str) -> String {
    let (status, v) = app.get("/v1/gateways").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let g = v["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed: {v}"))
        .clone();
    g["gatewayToken"].as_str().unwrap().to_string()
}

/// Tests the connection from the gateway's page and returns the page.
async fn test_connection(p: &mut Portal<'_>, token: &str) -> Page {
    let path = format!("/portal/gateways/{token}");
    let page = p.submit(&path, &format!("{path}/test"), &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page
}

/// Saves the edit form with the routing fields the test does not change filled as stored.
async fn save(p: &mut Portal<'_>, token: &str, fields: &[(&str, &str)]) -> Page {
    let path = format!("/portal/gateways/{token}");
    let mut form: Vec<(&str, &str)> = [("status", "Available"), ("weight", "1")]
        .into_iter()
        .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
        .collect();
    form.push(("accept_retries", "on"));
    form.extend_from_slice(fields);
    p.submit(&path, &format!("{path}/edit"), &form).await
}

fn edit_secrets() -> Vec<&'static str> {
    let mut all = SECRETS.to_vec();
    all.extend([
        EDIT_STRIPE_KEY,
        EDIT_WEBHOOK_SECRET,
        REVOKED_STRIPE_KEY,
        REFUSED_TYPED_KEY,
        openflex_gateway_doubles::nmi::SECURITY_KEY,
        openflex_gateway_doubles::authorizenet::TRANSACTION_KEY,
    ]);
    all
}

fn assert_no_edit_secret(what: &str, page: &Page) {
    for s in edit_secrets() {
        assert!(!page.text.contains(s), "{what} shows a secret");
    }
    assert!(
        !page.text.contains("wxyz"),
        "{what} shows a key's last four"
    );
}

async fn gateways_of_every_type_are_edited_and_tested_from_the_portal(backend: Backend) {
    use openflex_gateway_doubles::{adyen, authorizenet, nmi, stripe};
    let (stripe_d, stripe_state) = stripe::spawn_with_state().await;
    let (adyen_d, adyen_ledger) = adyen::spawn_with_ledger().await;
    let (nmi_d, nmi_state) = nmi::spawn_with_state().await;
    let (anet_d, anet_ledger) = authorizenet::start().await;
    let urls = (
        stripe_d.url.clone(),
        adyen::api_root(&adyen_d),
        nmi_d.url.clone(),
        format!("{}/xml/v1/request.api", anet_d.url),
    );
    let app = spawn_app_with(backend, move |c| {
        let u = &mut c.gateway_base_urls;
        u.stripe = Some(urls.0);
        u.adyen = Some(urls.1);
        u.nmi = Some(urls.2);
        u.authorizenet = Some(urls.3);
    })
    .await;
    let mut p = Portal::signed_in(&app).await;
    let made: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "stripe",
            vec![
                ("name", "Edit Stripe"),
                ("setting.secretKey", EDIT_STRIPE_KEY),
                ("setting.webhookSecret", EDIT_WEBHOOK_SECRET),
            ],
        ),
        (
            "adyen",
            vec![
                ("name", "Edit Adyen"),
                ("setting.apiKey", ADYEN_KEY),
                ("setting.merchantAccount", "PortalECOM"),
            ],
        ),
        (
            "nmi",
            vec![
                ("name", "Edit NMI"),
                ("setting.securityKey", nmi::SECURITY_KEY),
            ],
        ),
        (
            "authorizenet",
            vec![
                ("name", "Edit Authorize.net"),
                ("setting.apiLoginId", authorizenet::API_LOGIN_ID),
                ("setting.transactionKey", authorizenet::TRANSACTION_KEY),
                ("setting.environment", "sandbox"),
            ],
        ),
        ("sandbox", vec![("name", "Edit sandbox")]),
    ];
    let mut tokens = Vec::new();
    for (t, fields) in &made {
        let page = create(&mut p, t, fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{t}: {}", page.text);
        tokens.push(token_of(&app, fields[0].1).await);
    }
    let [stripe_t, adyen_t, nmi_t, anet_t, sandbox_t] = tokens.try_into().unwrap();

    // The settings table leads to each gateway's page.
    let settings = p.get("/portal/settings").await.text;
    for t in [&stripe_t, &adyen_t, &nmi_t, &anet_t, &sandbox_t] {
        assert!(
            settings.contains(&format!("href=\"/portal/gateways/{t}\"")),
            "{settings}"
        );
    }

    // The page shows non-secret settings as stored and credentials only as "set".
    let page = p.get(&format!("/portal/gateways/{adyen_t}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains(r#"value="PortalECOM""#), "{}", page.text);
    assert!(
        page.text.contains("Stored: <strong>set</strong>"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("Stored: <strong>not set</strong>"),
        "the HMAC key was never given: {}",
        page.text
    );
    let page = p.get(&format!("/portal/gateways/{anet_t}")).await;
    assert!(
        page.text
            .contains(&format!(r#"value="{}""#, authorizenet::API_LOGIN_ID)),
        "{}",
        page.text
    );
    for t in [&stripe_t, &adyen_t, &nmi_t, &anet_t, &sandbox_t] {
        let page = p.get(&format!("/portal/gateways/{t}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("Test connection"), "{}", page.text);
        assert_no_edit_secret("a gateway page", &page);
    }

    // Test connection: each gateway is asked once, with a call that moves no money.
    for (t, asked, path) in [
        (&stripe_t, &stripe_d, "/v1/balance"),
        (&adyen_t, &adyen_d, "/v71/paymentMethods"),
        (&nmi_t, &nmi_d, "/query.php"),
        (&anet_t, &anet_d, "/xml/v1/request.api"),
    ] {
        let page = test_connection(&mut p, t).await;
        assert!(page.text.contains("Connection works."), "{}", page.text);
        assert!(page.text.contains("nothing was charged"), "{}", page.text);
        assert_no_edit_secret("a tested gateway's page", &page);
        assert_eq!(asked.control.requests_to(path).len(), 1, "{path}");
    }
    let page = test_connection(&mut p, &sandbox_t).await;
    assert!(
        page.text.contains("Connection works.") && page.text.contains("sandbox"),
        "{}",
        page.text
    );
    assert!(stripe_state.payments().is_empty());
    assert_eq!(adyen_ledger.payment_count(), 0);
    assert_eq!(nmi_state.payments(), 0);
    assert_eq!(anet_ledger.payments(), 0);

    // Routing and acceptance change; a credential left empty keeps its sealed value.
    for t in [&stripe_t, &adyen_t, &nmi_t, &anet_t, &sandbox_t] {
        let page = save(
            &mut p,
            t,
            &[
                ("status", "Disabled"),
                ("weight", "7"),
                ("currencies", "usd, eur"),
                ("card.VISA", "on"),
                ("cvv_required", "on"),
                ("reference", "ref-42"),
            ],
        )
        .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{t}: {}", page.text);
        assert_eq!(
            page.location(),
            format!("/portal/gateways/{t}?msg=gateway-saved")
        );
        let (_, v) = app.get(&format!("/v1/gateways/{t}")).await;
        let g = &v["gateway"];
        assert_eq!(g["status"], "Disabled", "{v}");
        assert_eq!(g["weight"], 7, "{v}");
        assert_eq!(g["acceptedCurrencyCodes"], json!(["USD", "EUR"]), "{v}");
        assert_eq!(g["acceptedCards"], json!(["VISA"]), "{v}");
        assert_eq!(g["merchantAccountReferenceId"], "ref-42", "{v}");
        let page = test_connection(&mut p, t).await;
        assert!(
            page.text.contains("Connection works."),
            "the credentials were kept: {}",
            page.text
        );
    }
    let saved = p
        .get(&format!("/portal/gateways/{stripe_t}?msg=gateway-saved"))
        .await;
    assert!(
        saved.text.contains("The gateway was saved."),
        "{}",
        saved.text
    );

    // Credentials replaced: the wrong ones are refused by the gateway, in its own words, and
    // never shown.
    let page = save(
        &mut p,
        &stripe_t,
        &[("setting.secretKey", REVOKED_STRIPE_KEY)],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = test_connection(&mut p, &stripe_t).await;
    assert!(
        page.text.contains("The gateway refused the settings.")
            && page.text.contains("HTTP 401")
            && page.text.contains("Invalid API Key provided"),
        "{}",
        page.text
    );
    assert_no_edit_secret("a refused Stripe test", &page);
    let page = save(
        &mut p,
        &adyen_t,
        &[("setting.merchantAccount", adyen::FOREIGN_MERCHANT_ACCOUNT)],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = test_connection(&mut p, &adyen_t).await;
    assert!(
        page.text.contains("Invalid Merchant Account") && page.text.contains("901"),
        "{}",
        page.text
    );
    let page = save(
        &mut p,
        &nmi_t,
        &[("setting.securityKey", "nmi-wrong-key-0010")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = test_connection(&mut p, &nmi_t).await;
    assert!(
        page.text.contains("Invalid Security Key") && !page.text.contains("nmi-wrong-key"),
        "{}",
        page.text
    );
    let page = save(
        &mut p,
        &anet_t,
        &[
            ("setting.apiLoginId", authorizenet::API_LOGIN_ID),
            ("setting.transactionKey", "WrongAnetKey0011"),
            ("setting.environment", "sandbox"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = test_connection(&mut p, &anet_t).await;
    assert!(
        page.text.contains("E00007") && !page.text.contains("WrongAnetKey0011"),
        "{}",
        page.text
    );

    // An optional credential is removed only when asked; a required one cannot be emptied.
    let page = p.get(&format!("/portal/gateways/{stripe_t}")).await.text;
    assert!(page.contains(r#"name="clear.webhookSecret""#), "{page}");
    let page = save(&mut p, &stripe_t, &[("clear.webhookSecret", "on")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = p.get(&format!("/portal/gateways/{stripe_t}")).await.text;
    assert!(!page.contains(r#"name="clear.webhookSecret""#), "{page}");
    assert_eq!(
        page.matches("Stored: <strong>not set</strong>").count(),
        1,
        "{page}"
    );
    let page = save(&mut p, &adyen_t, &[("setting.merchantAccount", "")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(
        page.text.contains("merchantAccount is required"),
        "{}",
        page.text
    );

    // A refused form names the field and keeps what was typed, except credentials.
    let page = save(
        &mut p,
        &stripe_t,
        &[
            ("weight", "5000"),
            ("currencies", "usd"),
            ("setting.secretKey", REFUSED_TYPED_KEY),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(page.text.contains("gateway.weight"), "{}", page.text);
    assert!(page.text.contains(r#"value="5000""#), "{}", page.text);
    assert_no_edit_secret("a refused edit", &page);
    let page = save(&mut p, &stripe_t, &[("weight", "many")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(
        page.text.contains("weight: enter a whole number"),
        "{}",
        page.text
    );
    let page = test_connection(&mut p, &stripe_t).await;
    assert!(
        page.text.contains("HTTP 401"),
        "the refused form changed nothing: {}",
        page.text
    );
    let page = save(&mut p, &stripe_t, &[("setting.notAField", "x")]).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "unknown form fields are not settings"
    );

    // Another merchant's gateway is not found, and the API never shows a secret.
    let page = p.get("/portal/gateways/no-such-gateway").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
    let (_, v) = app.get("/v1/gateways").await;
    for s in edit_secrets() {
        assert!(!v.to_string().contains(s), "the API shows a secret");
    }
}
