//! Gateway (merchant account) management: CRUD, statuses and routing weights. Connector
//! settings are write-only: sealed by the vault and never returned.
//!
//! A form edits settings field by field ([`SettingsPatch`]): a credential left empty keeps
//! the sealed value, so a merchant changing a merchant account name never has to type the API
//! key again, and no page ever needs the key to fill an input. The patch is merged into the
//! opened settings here, then checked and sealed exactly as a whole `settings` object from the
//! API is. "Test connection" ([`Engine::verify_gateway`]) opens the settings for one call of
//! the connector's [`Connector::verify`](crate::connector::Connector::verify), which moves no
//! money.

use crate::connector::{ConnectorSettings, SettingField, VerifyResult};
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

/// One settings field as an edit form shows it: a non-secret field's current value, and for a
/// credential only whether one is stored.
#[derive(Debug, Clone)]
pub struct SettingState {
    pub field: SettingField,
    /// The stored value of a non-secret field; always `None` for a credential.
    pub value: Option<String>,
    /// Whether a value is stored.
    pub set: bool,
}

/// Field-by-field changes to a gateway's settings: values typed (credentials included) and
/// optional fields to remove. A field in neither keeps its stored value. No `Debug`: the
/// values may be credentials in clear.
#[derive(Default, Clone)]
pub struct SettingsPatch {
    pub set: Vec<(String, String)>,
    pub remove: Vec<String>,
}

impl SettingsPatch {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
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
        self.change_gateway(t, token, input, None).await
    }

    /// [`Engine::update_gateway`] with the settings changed field by field (the portal's edit
    /// form): `patch` is merged into the stored settings, and the result is checked and sealed
    /// as a whole `settings` would be. `input.settings` is ignored.
    pub async fn edit_gateway(
        &self,
        t: &Tenant,
        token: &str,
        input: GatewayInput,
        patch: &SettingsPatch,
    ) -> Result<Gateway> {
        self.change_gateway(t, token, input, Some(patch)).await
    }

    async fn change_gateway(
        &self,
        t: &Tenant,
        token: &str,
        mut input: GatewayInput,
        patch: Option<&SettingsPatch>,
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
        if let Some(patch) = patch {
            input.settings = None;
            if !patch.is_empty() {
                input.settings = Some(self.patched_settings(t, &row, patch)?);
            }
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

    /// The stored settings of `row` with `patch` applied, to be checked and sealed. Only the
    /// fields the gateway type declares may be patched; other stored keys (a sandbox outcome
    /// table set through the API) are kept as they are.
    fn patched_settings(
        &self,
        t: &Tenant,
        row: &GatewayRow,
        patch: &SettingsPatch,
    ) -> Result<ConnectorSettings> {
        let fields = self
            .connectors
            .get(&row.gateway_type)
            .map(|c| c.settings_fields())
            .unwrap_or_default();
        let declared = |name: &str| fields.iter().any(|f| f.name == name);
        if let Some(name) = patch
            .set
            .iter()
            .map(|(k, _)| k)
            .chain(&patch.remove)
            .find(|k| !declared(k))
        {
            return Err(invalid(
                "settings",
                &format!("{name} is not a setting of {} gateways", row.gateway_type),
            ));
        }
        let mut current = self
            .gateway_settings(t, &Gateway::from_row(row))?
            .and_then(|s| s.fields().cloned())
            .unwrap_or_default();
        for name in &patch.remove {
            current.remove(name);
        }
        for (name, value) in &patch.set {
            current.insert(name.clone(), serde_json::Value::String(value.clone()));
        }
        ConnectorSettings::from_json(serde_json::Value::Object(current).to_string())
            .map_err(|e| invalid("settings", &e))
    }

    /// A gateway and its settings as an edit form shows them: the value of each non-secret
    /// field, and for each credential only whether one is stored.
    pub async fn gateway_for_edit(
        &self,
        t: &Tenant,
        token: &str,
    ) -> Result<(Gateway, Vec<SettingState>)> {
        let g = self.gateway(t, token).await?;
        let stored = self.gateway_settings(t, &g)?;
        let fields = self
            .connectors
            .get(&g.gateway_type)
            .map(|c| c.settings_fields())
            .unwrap_or_default();
        let states = fields
            .iter()
            .map(|field| {
                let value = stored
                    .as_ref()
                    .and_then(|s| s.fields())
                    .and_then(|m| m.get(field.name))
                    .and_then(|v| match v {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(s) if s.trim().is_empty() => None,
                        serde_json::Value::String(s) => Some(s.clone()),
                        other => Some(other.to_string()),
                    });
                SettingState {
                    field: *field,
                    set: value.is_some(),
                    value: value.filter(|_| !field.secret),
                }
            })
            .collect();
        Ok((g, states))
    }

    /// "Test connection": asks the gateway, through its connector, whether the stored settings
    /// work, with a call that moves no money. The sandbox answers without any I/O.
    pub async fn verify_gateway(&self, t: &Tenant, token: &str) -> Result<VerifyResult> {
        let g = self.gateway(t, token).await?;
        let Some(connector) = self.connectors.get(&g.gateway_type) else {
            return Ok(VerifyResult::Refused(format!(
                "{} gateways are not supported by this server",
                g.gateway_type
            )));
        };
        let settings = self.gateway_settings(t, &g)?;
        let result = connector.verify(settings.as_ref()).await;
        // Not the gateway's token: it is also the secret part of the gateway's webhook URL.
        tracing::info!(
            merchant = %t.merchant_id,
            gateway_type = %g.gateway_type,
            outcome = result.kind(),
            "gateway connection tested"
        );
        Ok(result)
    }
}
