//! The OpenAPI 3.1 document, generated from the handlers' annotations so it cannot drift from
//! the routes, and served with a bundled Swagger UI (no network at run time).

use crate::flexfactor as ff;
use crate::flexiti;
use crate::flexpay;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "openflex", description = "Self-hosted payments server speaking FlexPay v1, FlexFactor v1 and Flexiti POS v2.5. Every Flexiti route is served under both /flexiti/pos-api/v2.5/ and /flexiti/pos-api/v2.5.1/."),
    paths(
        flexpay::api_test,
        flexpay::payment_methods::create_payment_method,
        flexpay::payment_methods::list_payment_methods,
        flexpay::payment_methods::show_payment_method,
        flexpay::payment_methods::update_payment_method,
        flexpay::payment_methods::redact_payment_method,
        flexpay::payment_methods::recache_payment_method,
        flexpay::charge,
        flexpay::authorize,
        flexpay::capture,
        flexpay::void,
        flexpay::refund,
        flexpay::list_transactions,
        flexpay::show_transaction,
        flexpay::show_by_mtid,
        flexpay::show_chain,
        flexpay::gateways::list_gateways,
        flexpay::gateways::create_gateway,
        flexpay::gateways::show_gateway,
        flexpay::gateways::update_gateway,
        flexpay::gateways::delete_gateway,
        crate::gateway_webhooks::receive,
        crate::gateway_webhooks::list,
        ff::token::token,
        ff::tokenize::tokenize,
        ff::evaluate::evaluate,
        ff::evaluate::transmit,
        ff::evaluate::outcome,
        ff::orders::capture,
        ff::orders::list_orders,
        ff::orders::show_order,
        ff::orders::refund,
        ff::orders::cancel,
        ff::orders::external_cancel,
        flexiti::auth::token,
        flexiti::auth::merchant_login,
        flexiti::onboarding::i18n,
        flexiti::onboarding::terms,
        flexiti::customers::search,
        flexiti::customers::lookup,
        flexiti::customers::drivers_licence,
        flexiti::customers::verify,
        flexiti::customers::calculate,
        flexiti::customers::close,
        flexiti::onboarding::widget_init,
        flexiti::onboarding::apply,
        flexiti::ledger::transactions,
        flexiti::ledger::authorize,
        flexiti::ledger::show_authorization,
        flexiti::ledger::release,
        flexiti::ledger::capture,
        flexiti::ledger::return_capture,
        flexiti::ledger::refund,
        flexiti::lists::list_authorizations,
        flexiti::lists::list_captures,
    ),
    modifiers(&Security, &FlexitiVersions)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "flexpay_basic",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Basic <apiKey>` with the FlexPay API key exactly as issued",
            ))),
        );
        components.add_security_scheme(
            "flexiti_bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The access_token from POST /flexiti/pos-api/v2.5/oauth/token (20 minutes); every call also needs the x-reference-id header",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "flexfactor_bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The accessToken from POST /v1/oauth2/token (10 minutes)",
                    ))
                    .build(),
            ),
        );
    }
}

/// Flexiti routes exist under both versions (docs/flexiti.md Decision 1); the handlers are
/// annotated once and the document lists each under both prefixes.
struct FlexitiVersions;

const V25: &str = "/flexiti/pos-api/v2.5/";
const V251: &str = "/flexiti/pos-api/v2.5.1/";

impl Modify for FlexitiVersions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let copies: Vec<_> = openapi
            .paths
            .paths
            .iter()
            .filter_map(|(path, item)| {
                let twin = if let Some(rest) = path.strip_prefix(V251) {
                    format!("{V25}{rest}")
                } else {
                    format!("{V251}{}", path.strip_prefix(V25)?)
                };
                Some((twin, item.clone()))
            })
            .collect();
        for (path, item) in copies {
            openapi.paths.paths.entry(path).or_insert(item);
        }
    }
}
