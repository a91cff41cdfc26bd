//! The widget's own wording in English and French. Field labels, plan words and refusal
//! messages come from the dialect's tables (`messages`), so the page says what the API says.

use super::super::messages::Lang;

/// (key, English, French).
const TABLE: &[(&str, &str, &str)] = &[
    ("brand", "Flexiti financing", "Financement Flexiti"),
    ("title_purchase", "Pay with Flexiti", "Payer avec Flexiti"),
    (
        "title_apply",
        "Apply for Flexiti financing",
        "Demander un financement Flexiti",
    ),
    ("title_choose", "Choose your plan", "Choisissez votre plan"),
    ("title_done", "Thank you", "Merci"),
    (
        "title_closed",
        "This session is over",
        "Cette session est terminée",
    ),
    ("title_expired", "This link has expired", "Ce lien a expiré"),
    ("title_not_found", "Page not found", "Page introuvable"),
    (
        "title_error",
        "Something went wrong",
        "Une erreur s'est produite",
    ),
    (
        "sign_in_intro",
        "Sign in with your Flexiti account number. We will send a code to the phone number on your account.",
        "Connectez-vous avec votre numéro de compte Flexiti. Nous enverrons un code au numéro de téléphone de votre compte.",
    ),
    ("account_number", "Account number", "Numéro de compte"),
    ("send_code", "Send me a code", "Envoyez-moi un code"),
    ("code", "Code from the text message", "Code reçu par texto"),
    (
        "code_sent",
        "We sent a code by text message to the phone number on your account.",
        "Nous avons envoyé un code par texto au numéro de téléphone de votre compte.",
    ),
    (
        "sandbox_code",
        "Sandbox: the code is always 2222.",
        "Bac à sable : le code est toujours 2222.",
    ),
    ("sign_in", "Sign in", "Se connecter"),
    (
        "apply_intro",
        "Tell us about yourself; the decision takes a moment. Fields marked * are required.",
        "Parlez-nous de vous; la décision ne prend qu'un instant. Les champs marqués d'un * sont obligatoires.",
    ),
    ("apply", "Submit my application", "Soumettre ma demande"),
    (
        "choose_intro",
        "Choose how to pay for your purchase.",
        "Choisissez comment payer votre achat.",
    ),
    (
        "regular",
        "Regular purchase (revolving credit)",
        "Achat régulier (crédit renouvelable)",
    ),
    ("per_month", "per month", "par mois"),
    ("apr", "APR", "TAE"),
    ("cost_of_borrowing", "Cost of borrowing", "Coût d'emprunt"),
    (
        "no_plans",
        "No promotional plan is offered for this amount.",
        "Aucun plan promotionnel n'est offert pour ce montant.",
    ),
    (
        "terms_heading",
        "Terms and conditions",
        "Modalités et conditions",
    ),
    (
        "accept_terms",
        "I have read and accept the terms and conditions.",
        "J'ai lu et j'accepte les modalités et conditions.",
    ),
    ("confirm", "Confirm the purchase", "Confirmer l'achat"),
    (
        "choose_plan_required",
        "Choose a plan.",
        "Choisissez un plan.",
    ),
    (
        "terms_required",
        "Accept the terms and conditions to continue.",
        "Acceptez les modalités et conditions pour continuer.",
    ),
    (
        "outcome_approved",
        "Your financing is approved.",
        "Votre financement est approuvé.",
    ),
    (
        "outcome_declined",
        "Your application was declined.",
        "Votre demande a été refusée.",
    ),
    (
        "outcome_pending",
        "Your application is being reviewed. You will hear from us soon.",
        "Votre demande est à l'étude. Nous communiquerons avec vous sous peu.",
    ),
    (
        "outcome_cancelled",
        "You cancelled. Nothing was charged.",
        "Vous avez annulé. Rien n'a été porté à votre compte.",
    ),
    (
        "outcome_locked",
        "Too many wrong codes: this session is locked.",
        "Trop de codes erronés : cette session est verrouillée.",
    ),
    (
        "outcome_busy",
        "Your purchase is being processed.",
        "Votre achat est en cours de traitement.",
    ),
    (
        "back_to_merchant",
        "Return to the merchant",
        "Retourner chez le marchand",
    ),
    (
        "expired",
        "Return to the merchant and start again.",
        "Retournez chez le marchand et recommencez.",
    ),
    (
        "not_found",
        "This link is not valid.",
        "Ce lien n'est pas valide.",
    ),
    (
        "form_expired",
        "This form has expired. Reload the page and try again.",
        "Ce formulaire a expiré. Rechargez la page et réessayez.",
    ),
    (
        "error",
        "Try again in a moment.",
        "Réessayez dans un instant.",
    ),
    ("other_language", "Français", "English"),
    ("required_mark", "required", "obligatoire"),
    ("phone_hint", "10 digits", "10 chiffres"),
    (
        "income_hint",
        "Optional, in dollars",
        "Facultatif, en dollars",
    ),
    (
        "address_2",
        "Apartment, suite (optional)",
        "Appartement, bureau (facultatif)",
    ),
];

/// The text of `key` in `lang` (empty for an unknown key).
pub fn t(key: &str, lang: Lang) -> &'static str {
    TABLE
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, fr)| if lang == Lang::Fr { *fr } else { *en })
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_once_in_the_table_with_both_languages() {
        for (i, (k, en, fr)) in TABLE.iter().enumerate() {
            assert!(!en.is_empty() && !fr.is_empty(), "{k}");
            assert!(TABLE[i + 1..].iter().all(|(o, _, _)| o != k), "{k} twice");
        }
        assert_eq!(t("sign_in", Lang::Fr), "Se connecter");
        assert_eq!(t("no_such_key", Lang::En), "");
    }
}
