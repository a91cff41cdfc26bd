//! The hosted widget (W1): a session the merchant opens with `widget/init`, then a shopper
//! completes on the server-rendered page by signing in (account number and SMS code) or
//! applying, choosing a plan for the cart amount and accepting it.
//!
//! Why the page's URL token is a secret of the session and not an API bearer token: it travels
//! in a URL handed to a browser anywhere, so it must open that one session and nothing else —
//! no API call, no other shopper's session. It is kept as an HMAC only and dies with the
//! session (30 minutes, or at its outcome). The page acts for the merchant with the powers of a
//! customer-scope caller, through the same use cases as the API (`verify`, `apply`,
//! `calculate-interest`, `authorization`), so its rules cannot drift from the API's.

use super::auth::hex_token;
use super::ledger::{AuthorizeRequest, PurchaseType};
use super::onboarding::{Application, ApplicationOutcome};
use super::{
    Calculation, FlexitiCaller, FlexitiFail, FlexitiResult, PIN_MAX_FAILURES, Refusal, Scope,
    VerifyFormat, VerifyRequest,
};
use crate::tenancy::kind;
use crate::{Engine, EngineError, Mode, Tenant, micros};
use openflex_domain::Secret;
use openflex_store::{FlexitiWidgetOutcome, FlexitiWidgetSessionRow, Store};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a widget session may be completed.
pub const WIDGET_TTL: Duration = Duration::from_secs(30 * 60);

/// Codes a session may have sent. Every live code is a guess the session's
/// [`PIN_MAX_FAILURES`] wrong attempts can hit, so sending many would widen the odds.
pub const WIDGET_MAX_CODES: i64 = 3;

/// The outcome a session is marked with while its purchase is being made.
const BUSY: &str = "busy";

/// `widget/init`.
pub struct WidgetInit {
    pub flow: String,
    pub account_number: Option<String>,
    pub vcc: Option<Secret<String>>,
    /// Applicant fields (normalised), kept so `apply` can check it is the same applicant.
    pub fields: BTreeMap<String, String>,
    /// en | fr: the page's language unless its URL says otherwise.
    pub lang: String,
    /// The cart amount (minor units) the plans are quoted for.
    pub amount: Option<i64>,
    /// Where the shopper is sent back with the outcome.
    pub return_url: Option<String>,
    /// The merchant's order reference, carried to the authorization.
    pub reference: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WidgetSession {
    pub session_id: String,
    pub token: String,
}

/// An open widget page: its session and the caller the page acts as.
pub struct Widget {
    pub caller: FlexitiCaller,
    pub session: FlexitiWidgetSessionRow,
}

impl Widget {
    /// Whether the shopper may still act (no outcome yet).
    pub fn is_open(&self) -> bool {
        self.session.outcome.is_none()
    }

    /// The applicant fields widget/init was told.
    pub fn applicant(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.session.payload).unwrap_or_default()
    }

    fn open(&self) -> FlexitiResult<()> {
        if self.is_open() {
            Ok(())
        } else {
            Err(Refusal::new("widget_closed").into())
        }
    }

    /// The account the shopper may sign in to: the one widget/init named, else any.
    fn may_sign_in(&self, account_number: &str) -> FlexitiResult<()> {
        match &self.session.account_number {
            Some(n) if n != account_number => {
                Err(Refusal::on("not_found", "account_number").into())
            }
            _ => Ok(()),
        }
    }
}

/// The plan the shopper chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Regular,
    Promotional { plan_id: i64, term: u32 },
}

fn token_hash(engine: &Engine, token: &str) -> String {
    engine.vault.hash_secret(&format!("flexiti-widget|{token}"))
}

impl Engine {
    /// `widget/init`: records what the merchant told us and mints the page's session token.
    pub async fn flexiti_widget_init(
        &self,
        c: &FlexitiCaller,
        w: WidgetInit,
    ) -> FlexitiResult<WidgetSession> {
        if w.return_url.is_some() && c.scope != Scope::Merchant {
            // A customer-scope token lives on shoppers' devices: a return URL it names is not
            // one the merchant gave.
            return Err(Refusal::on("insufficient_scope", "return_url").into());
        }
        if w.return_url
            .as_deref()
            .is_some_and(|u| crate::webhooks::web_url(u, c.tenant.mode).is_err())
        {
            // The shopper is sent back with the authorization and order ids in the query: in
            // live mode only over TLS, by the one rule webhook endpoints follow too.
            return Err(Refusal::on("wrong_inputs", "return_url").into());
        }
        let account_number = if let Some(n) = &w.account_number {
            self.flexiti_account_for(c, n, w.vcc.as_ref(), "not_found")
                .await?;
            Some(n.clone())
        } else if let Some(v) = &w.vcc {
            let found = self
                .flexiti_find(&c.tenant, &super::AccountKey::Vcc(v.clone()))
                .await?
                .ok_or(FlexitiFail::Refused(Refusal::on("not_found", "vcc_number")))?;
            Some(found.account_number)
        } else {
            None
        };
        let now = self.now_for(&c.tenant);
        let session_id = crate::ids::guid();
        let token = hex_token()?;
        let payload =
            serde_json::to_string(&w.fields).map_err(|e| EngineError::Internal(e.to_string()))?;
        self.store
            .insert_flexiti_widget_session(&FlexitiWidgetSessionRow {
                id: session_id.clone(),
                merchant_id: c.tenant.merchant_id.clone(),
                mode: c.tenant.mode.as_str().to_string(),
                flow: w.flow.clone(),
                payload,
                created_at: micros(now),
                expires_at: micros(now + WIDGET_TTL),
                token_hash: Some(token_hash(self, &token)),
                lang: w.lang,
                amount: w.amount,
                return_url: w.return_url,
                reference: w.reference,
                account_number,
                verified_account: None,
                pin_failures: 0,
                codes_sent: 0,
                outcome: None,
                authorization_id: None,
                application_id: None,
            })
            .await?;
        Ok(WidgetSession { session_id, token })
    }

    /// The session a page URL names, if its token is that session's and its client still
    /// serves the merchant: else `not_found`; past its time, `widget_expired`. A session with
    /// an outcome is answered (the page shows it).
    pub async fn flexiti_widget_open(
        &self,
        client_id: &str,
        session_id: &str,
        token: &str,
    ) -> FlexitiResult<Widget> {
        let not_found = || FlexitiFail::Refused(Refusal::new("not_found"));
        if session_id.is_empty() || session_id.len() > 64 || token.is_empty() || token.len() > 200 {
            return Err(not_found());
        }
        let session = self
            .store
            .flexiti_widget_session_by_id(session_id)
            .await?
            .ok_or_else(not_found)?;
        let given = token_hash(self, token);
        let stored = session.token_hash.as_deref().unwrap_or_default();
        if !openflex_vault::constant_time_eq(stored.as_bytes(), given.as_bytes()) {
            return Err(not_found());
        }
        let served = self
            .store
            .credentials_by_public_id(kind::FLEXITI_CLIENT, client_id)
            .await?
            .into_iter()
            .any(|k| k.merchant_id == session.merchant_id && k.mode == session.mode);
        let merchant = self.store.merchant(&session.merchant_id).await?;
        let (true, Some(merchant)) = (served, merchant) else {
            return Err(not_found());
        };
        let tenant = Tenant::of(&merchant, Mode::parse(&session.mode).unwrap_or(Mode::Live));
        if !tenant.flexiti.enabled {
            return Err(not_found());
        }
        if session.expires_at <= micros(self.now_for(&tenant)) && session.outcome.is_none() {
            return Err(Refusal::new("widget_expired").into());
        }
        Ok(Widget {
            caller: FlexitiCaller {
                tenant,
                client_id: client_id.to_string(),
                scope: Scope::Customer,
                merchant_name: merchant.name,
            },
            session,
        })
    }

    /// The CSRF token of the page's forms.
    pub fn flexiti_widget_csrf(&self, w: &Widget) -> String {
        self.vault
            .hash_secret(&format!("flexiti-widget-csrf|{}", w.session.id))
    }

    /// Sends the sign-in code to the account's phone (`verify` by SMS; `2222` in the sandbox),
    /// at most [`WIDGET_MAX_CODES`] times a session (then `too_many_requests`).
    pub async fn flexiti_widget_send_code(
        &self,
        w: &Widget,
        account_number: &str,
    ) -> FlexitiResult<()> {
        w.open()?;
        w.may_sign_in(account_number)?;
        if !self
            .store
            .flexiti_widget_code_sent(&w.session.id, WIDGET_MAX_CODES)
            .await?
        {
            return Err(Refusal::new("too_many_requests").into());
        }
        self.flexiti_verify(
            &w.caller,
            account_number,
            VerifyRequest {
                format: VerifyFormat::Sms,
                vcc: None,
                security_qid: None,
                security_answer: None,
                request_id: Some(w.session.id.clone()),
            },
        )
        .await?;
        Ok(())
    }

    /// Checks the code sent by [`Self::flexiti_widget_send_code`]. Every wrong code counts against
    /// the session as well as the account: at [`PIN_MAX_FAILURES`] the session ends `locked`.
    pub async fn flexiti_widget_sign_in(
        &self,
        w: &Widget,
        account_number: &str,
        code: &Secret<String>,
    ) -> FlexitiResult<()> {
        w.open()?;
        w.may_sign_in(account_number)?;
        let matched = self
            .flexiti_match_pin(
                &w.caller,
                account_number,
                Some(code),
                Some(&w.session.id),
                None,
            )
            .await;
        let pin = match matched {
            Ok(pin) => pin,
            Err(FlexitiFail::Refused(r)) if r.code == "wrong_verification_code" => {
                // Only a wrong code counts towards locking the session: an empty submit or a
                // database that is away must not lock the shopper out.
                self.store
                    .flexiti_widget_pin_failed(&w.session.id, PIN_MAX_FAILURES)
                    .await?;
                return Err(FlexitiFail::Refused(r));
            }
            Err(e) => return Err(e),
        };
        let mut tx = self.store.begin().await?;
        let used =
            Store::flexiti_use_verification(&mut tx, &pin, micros(self.now_for(&w.caller.tenant)))
                .await?;
        tx.commit().await?;
        if !used {
            return Err(Refusal::on("wrong_verification_code", "verification_code").into());
        }
        self.flexiti_widget_proved(w, account_number, None).await
    }

    /// The application of the widget's applicant. Approved: the new account is the shopper's;
    /// pending or declined: that is the session's outcome.
    pub async fn flexiti_widget_apply(&self, w: &Widget, mut a: Application) -> FlexitiResult<()> {
        w.open()?;
        a.widget_session_id = Some(w.session.id.clone());
        match self.flexiti_apply(&w.caller, a).await {
            Ok(ApplicationOutcome::Approved {
                application_id,
                account,
                ..
            }) => {
                self.flexiti_widget_proved(w, &account.account_number, Some(&application_id))
                    .await
            }
            Ok(ApplicationOutcome::Pending { application_id }) => {
                self.flexiti_widget_end(w, "pending", Some(&application_id))
                    .await
            }
            Err(FlexitiFail::Refused(r)) if r.code == "application_declined" => {
                self.flexiti_widget_end(w, "declined", None).await
            }
            Err(e) => Err(e),
        }
    }

    /// Records the shopper's account; with no cart amount to finance, that is the outcome.
    async fn flexiti_widget_proved(
        &self,
        w: &Widget,
        account_number: &str,
        application_id: Option<&str>,
    ) -> FlexitiResult<()> {
        if !self
            .store
            .flexiti_widget_verified(&w.session.id, account_number, application_id)
            .await?
        {
            return Err(Refusal::new("widget_closed").into());
        }
        if w.session.amount.is_none() {
            self.flexiti_widget_end(w, "approved", None).await?;
        }
        Ok(())
    }

    /// Ends an open session with `outcome` (approved, declined, pending, cancelled).
    pub async fn flexiti_widget_end(
        &self,
        w: &Widget,
        outcome: &str,
        application_id: Option<&str>,
    ) -> FlexitiResult<()> {
        let to = FlexitiWidgetOutcome {
            outcome: Some(outcome),
            authorization_id: None,
            application_id,
        };
        if !self
            .store
            .flexiti_widget_transition(&w.session.id, None, &to)
            .await?
        {
            return Err(Refusal::new("widget_closed").into());
        }
        Ok(())
    }

    /// The plans and payments for the cart amount (`calculate-interest` for the shopper's
    /// account); None before the shopper is known or without an amount.
    pub async fn flexiti_widget_quote(&self, w: &Widget) -> FlexitiResult<Option<Calculation>> {
        let (Some(account), Some(amount)) = (&w.session.verified_account, w.session.amount) else {
            return Ok(None);
        };
        Ok(Some(
            self.flexiti_calculate(&w.caller, account, amount).await?,
        ))
    }

    /// The shopper accepts `choice`: the purchase is authorized (held for the merchant to
    /// capture when pre-authorizations are on, else captured at once) and the session ends
    /// `approved` with it. A refusal (`credit_exceeded`, …) leaves the session open.
    pub async fn flexiti_widget_accept(&self, w: &Widget, choice: Choice) -> FlexitiResult<i64> {
        w.open()?;
        let (Some(account), Some(amount)) = (w.session.verified_account.clone(), w.session.amount)
        else {
            return Err(Refusal::new("not_verified").into());
        };
        let busy = FlexitiWidgetOutcome {
            outcome: Some(BUSY),
            ..Default::default()
        };
        if !self
            .store
            .flexiti_widget_transition(&w.session.id, None, &busy)
            .await?
        {
            return Err(Refusal::new("widget_closed").into());
        }
        let (purchase, plan_id, term) = match choice {
            Choice::Regular => (PurchaseType::Regular, None, None),
            Choice::Promotional { plan_id, term } => {
                (PurchaseType::Promotional, Some(plan_id), Some(term))
            }
        };
        let req = AuthorizeRequest {
            account_number: account,
            vcc: None,
            reference: w.session.reference.clone(),
            purchase,
            plan_id,
            term,
            amount,
            auto_capture: !w.caller.tenant.flexiti.pre_auth_enabled,
            verification_code: None,
            store: Default::default(),
            sku_data: None,
        };
        let made = self.flexiti_authorize(&w.caller, req, None).await;
        let to = FlexitiWidgetOutcome {
            outcome: made.is_ok().then_some("approved"),
            authorization_id: made.as_ref().ok().map(|a| a.authorization.id),
            application_id: None,
        };
        self.store
            .flexiti_widget_transition(&w.session.id, Some(BUSY), &to)
            .await?;
        Ok(made?.authorization.id)
    }
}
