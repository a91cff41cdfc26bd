//! The step between pressing a button that cannot be undone and the change itself.
//!
//! Why an interstitial form rather than a script's `confirm()`: the portal runs no script. The
//! first POST of such an action (without `confirm=yes`) changes nothing and answers this page,
//! which states exactly what will happen and re-posts the same fields with `confirm=yes`.

use super::{csrf_field, page};
use axum::response::Response;
use maud::{Markup, html};
use openflex_engine::portal::PortalSession;
use serde::Deserialize;

/// The field a confirmed form adds.
#[derive(Deserialize, Default)]
pub struct Confirmation {
    #[serde(default)]
    confirm: String,
}

impl Confirmation {
    pub fn given(&self) -> bool {
        self.confirm == "yes"
    }
}

/// One irreversible action awaiting its Confirm.
pub struct Ask<'a> {
    /// The navigation entry the page belongs to.
    pub section: &'a str,
    /// The page's heading, a question ("Redact this payment method?").
    pub title: &'a str,
    /// Exactly what will happen.
    pub what: Markup,
    /// Where Confirm posts.
    pub action: &'a str,
    /// The form's own fields, posted again as they were.
    pub fields: &'a [(&'a str, &'a str)],
    /// The Confirm button's words.
    pub button: &'a str,
    /// Where Back goes.
    pub back: &'a str,
}

pub fn ask(s: &PortalSession, a: Ask<'_>) -> Response {
    let body = html! {
        div class="confirm" {
            (a.what)
            form method="post" action=(a.action) class="inline" {
                (csrf_field(s))
                @for (name, value) in a.fields {
                    input type="hidden" name=(name) value=(value);
                }
                input type="hidden" name="confirm" value="yes";
                button type="submit" class="danger" { (a.button) }
            }
            " "
            a href=(a.back) { "Back" }
        }
    };
    page(s, a.section, a.title, None, body)
}
