//! The OpenAPI 3.1 document, generated from the handlers' annotations so it cannot drift from
//! the routes, and served with a bundled Swagger UI (no network at run time).

use crate::flexfactor::handlers as ff;
use crate::flexpay;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "openflex", description = "Self-hosted payments server speaking FlexPay v1 and FlexFactor v1 (Flexiti POS v2.5 to come)."),
    paths(
        flexpay::api_test,
        flexpay::create_payment_method,
        flexpay::list_payment_methods,
        flexpay::show_payment_method,
        flexpay::update_payment_method,
        flexpay::redact_payment_method,
        flexpay::recache_payment_method,
        flexpay::charge,
        flexpay::authorize,
        flexpay::capture,
        flexpay::void,
        flexpay::refund,
        flexpay::list_transactions,
        flexpay::show_transaction,
        flexpay::show_by_mtid,
        flexpay::show_chain,
        flexpay::list_gateways,
        flexpay::create_gateway,
        flexpay::show_gateway,
        flexpay::update_gateway,
        flexpay::delete_gateway,
        ff::token,
        ff::tokenize,
        ff::evaluate,
        ff::transmit,
        ff::outcome,
        ff::capture,
        ff::list_orders,
        ff::show_order,
        ff::refund,
        ff::cancel,
        ff::external_cancel,
    ),
    components(schemas(flexpay::wire::SimplifiedTransactionList)),
    modifiers(&Security)
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
