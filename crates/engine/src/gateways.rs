//! Gateway (merchant account) management: CRUD, statuses and routing weights. Connector
//! settings are write-only: sealed by the vault and never returned.

use crate::connector::{ConnectorSettings, SettingField};
use crate::{Engine, EngineError, Gateway, GatewayStatus, Mode, Result, Tenant, micros};
use openflex_domain::card::Brand;
use openflex_domain::money::Currency;
use openflex_store::{GatewayRow, Store};

#[derive(Debug, Default)]
pub struct GatewayInput {
    pub name: Option<String>,
    pub gateway_type: Option<String>,
    pub merchant_account_reference_id: Option<String>,
    pub status: Option<String>,
    pub accepted_currencies: Option<Vec<String>>,
    pub accepted_cards: Option<Vec<String>>,
    pub weight: Option<i64>,
    pub accept_retries: Option<bool>,
    pub cvv_required: Option<bool>,
    pub settings: Option<ConnectorSettings>,
}

/// A gateway type a merchant may create, and the fields of its `settings`.
#[derive(Debug, Clone, Copy)]
pub struct GatewayType {
    pub gateway_type: &'static str,
    pub settings: &'static [SettingField],
}

fn invalid(field: &str, why: &str) -> EngineError {
    EngineError::Invalid(format!("gateway.{field}: {why}"))
}

impl Engine {
    fn apply_gateway_input(
        &self,
        t: &Tenant,
        row: &mut GatewayRow,
        input: GatewayInput,
    ) -> Result<()> {
        if let Some(v) = input.merchant_account_reference_id {
            if v.chars().count() > 50 {
                return Err(invalid(
                    "merchantAccountReferenceId",
                    "at most 50 characters",
                ));
            }
            row.merchant_account_reference_id = Some(v);
        }
        if let Some(v) = input.status {
            row.status = GatewayStatus::parse(&v)
                .ok_or_else(|| invalid("status", "must be Available, Disabled or RefundOnly"))?
                .as_str()
                .to_string();
        }
        if let Some(list) = input.accepted_currencies {
            let mut codes = Vec::new();
            for c in list {
                codes.push(
                    Currency::parse(&c)
                        .map_err(|_| {
                            invalid(
                                "acceptedCurrencyCodes",
                                &format!("{c:?} is not an ISO 4217 code"),
                            )
                        })?
                        .code()
                        .to_string(),
                );
            }
            row.accepted_currencies = codes.join(",");
        }
        if let Some(list) = input.accepted_cards {
            let mut names = Vec::new();
            for c in list {
                let brand = Brand::from_wire_name(&c);
                if brand == Brand::Unknown {
                    return Err(invalid(
                        "acceptedCards",
                        &format!("{c:?} is not a known card type"),
                    ));
                }
                names.push(brand.wire_name().to_string());
            }
            row.accepted_cards = names.join(",");
        }
        if let Some(w) = input.weight {
            if !(0..=1000).contains(&w) {
                return Err(invalid("weight", "must be between 0 and 1000"));
            }
            row.weight = w;
        }
        if let Some(v) = input.accept_retries {
            row.accept_retries = v;
        }
        if let Some(v) = input.cvv_required {
            row.cvv_required = v;
        }
        if let Some(settings) = input.settings {
            if let Some(connector) = self.connectors.get(&row.gateway_type) {
                connector
                    .check_settings(Some(&settings))
                    .map_err(|why| invalid("settings", &why))?;
            }
            let (version, sealed) = self.vault.seal_secret(
                &format!("gateway|{}|{}", t.merchant_id, row.token),
                settings.json(),
            )?;
            row.settings_kek_version = Some(i64::from(version));
            row.settings_sealed = Some(sealed);
        }
        Ok(())
    }

    /// The types a merchant may create in `mode`, sorted: every connector in sandbox mode, the
    /// live ones alone in live mode (the same rule `create_gateway` enforces).
    pub fn gateway_types(&self, mode: Mode) -> Vec<GatewayType> {
        self.connectors
            .all()
            .into_iter()
            .filter(|c| mode == Mode::Sandbox || c.live())
            .map(|c| GatewayType {
                gateway_type: c.gateway_type(),
                settings: c.settings_fields(),
            })
            .collect()
    }

    pub async fn create_gateway(&self, t: &Tenant, input: GatewayInput) -> Result<Gateway> {
        let name = input.name.clone().unwrap_or_default();
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(invalid("name", "required, at most 100 characters"));
        }
        let gateway_type = input
            .gateway_type
            .clone()
            .unwrap_or_else(|| "sandbox".into());
        let Some(connector) = self.connectors.get(&gateway_type) else {
            return Err(invalid(
                "gatewayType",
                &format!(
                    "{gateway_type:?} is not a supported gateway type (supported: {})",
                    self.connectors.types().join(", ")
                ),
            ));
        };
        if input.settings.is_none() {
            // A connector that needs credentials cannot be created without them.
            connector
                .check_settings(None)
                .map_err(|why| invalid("settings", &why))?;
        }
        if t.mode == Mode::Live && !connector.live() {
            return Err(invalid(
                "gatewayType",
                &format!("{gateway_type:?} gateways move no money and exist in sandbox mode only"),
            ));
        }
        let mut row = GatewayRow {
            // The token is also the secret part of the gateway's webhook URL.
            token: crate::ids::unguessable(),
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            name: name.trim().to_string(),
            gateway_type,
            merchant_account_reference_id: None,
            status: GatewayStatus::Available.as_str().to_string(),
            accepted_currencies: String::new(),
            accepted_cards: String::new(),
            weight: 1,
            accept_retries: true,
            cvv_required: false,
            settings_kek_version: None,
            settings_sealed: None,
            created_at: micros(self.now_for(t)),
        };
        self.apply_gateway_input(t, &mut row, input)?;
        let mut tx = self.store.begin().await?;
        Store::insert_gateway(&mut tx, &row).await?;
        tx.commit().await?;
        self.store.config_changed();
        Ok(Gateway::from_row(&row))
    }

    pub async fn gateway(&self, t: &Tenant, token: &str) -> Result<Gateway> {
        self.store
            .gateway(&t.merchant_id, t.mode.as_str(), token)
            .await?
            .map(|r| Gateway::from_row(&r))
            .ok_or(EngineError::NotFound)
    }

    pub async fn gateways(&self, t: &Tenant) -> Result<Vec<Gateway>> {
        Ok(self
            .store
            .gateways(&t.merchant_id, t.mode.as_str())
            .await?
            .iter()
            .map(Gateway::from_row)
            .collect())
    }

    /// Name and type are fixed at creation; other fields present in `input` are changed.
    pub async fn update_gateway(
        &self,
        t: &Tenant,
        token: &str,
        input: GatewayInput,
    ) -> Result<Gateway> {
        let mut row = self
            .store
            .gateway(&t.merchant_id, t.mode.as_str(), token)
            .await?
            .ok_or(EngineError::NotFound)?;
        if input.name.as_ref().is_some_and(|n| n != &row.name) {
            return Err(invalid("name", "is set at creation only"));
        }
        if input
            .gateway_type
            .as_ref()
            .is_some_and(|g| g != &row.gateway_type)
        {
            return Err(invalid("gatewayType", "is set at creation only"));
        }
        self.apply_gateway_input(t, &mut row, input)?;
        if !self.store.update_gateway(&row).await? {
            return Err(EngineError::NotFound);
        }
        Ok(Gateway::from_row(&row))
    }

    pub async fn delete_gateway(&self, t: &Tenant, token: &str) -> Result<()> {
        if self
            .store
            .delete_gateway(
                &t.merchant_id,
                t.mode.as_str(),
                token,
                micros(self.now_for(t)),
            )
            .await?
        {
            Ok(())
        } else {
            Err(EngineError::NotFound)
        }
    }
}
