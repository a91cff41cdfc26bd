//! Localised messages of the Flexiti POS API v2.5 dialect, in English and Canadian French.
//!
//! The vendor picks the message language per request (`?lang=en|fr`), so every message is
//! shipped in both languages and there is no "untranslated" fallback to get wrong at runtime.
//! Error codes are the stable contract that integrators branch on; messages are for the people
//! at the till and may be reworded freely. Unknown codes get the `general_error` message
//! rather than leaking an internal name.

use std::collections::BTreeMap;

/// The language of a response, chosen by the `lang` query parameter (English by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// "en"/"fr" (case-insensitive, also "en-CA"/"fr-CA"); anything else → None.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "en-ca" => Some(Self::En),
            "fr" | "fr-ca" => Some(Self::Fr),
            _ => None,
        }
    }

    /// The wire form: "en" or "fr".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
        }
    }
}

/// (code, English, French). The single source of truth for [`CODES`] and [`message`].
const TABLE: &[(&str, &str, &str)] = &[
    (
        "wrong_inputs",
        "Some inputs are wrong!",
        "Certaines données saisies sont erronées !",
    ),
    (
        "invalid_client",
        "Client authentication failed.",
        "L'authentification du client a échoué.",
    ),
    (
        "invalid_request",
        "The request is missing a required parameter or is malformed.",
        "Il manque un paramètre obligatoire à la requête, ou celle-ci est mal formée.",
    ),
    (
        "unsupported_grant_type",
        "This authorization grant type is not supported.",
        "Ce type d'autorisation n'est pas pris en charge.",
    ),
    (
        "invalid_grant",
        "The credentials or refresh token provided are invalid or have expired.",
        "Les identifiants ou le jeton d'actualisation fournis sont invalides ou expirés.",
    ),
    (
        "invalid_token",
        "The access token is invalid or has expired.",
        "Le jeton d'accès est invalide ou a expiré.",
    ),
    (
        "invalid_role",
        "Your role does not allow this operation.",
        "Votre rôle ne permet pas d'effectuer cette opération.",
    ),
    (
        "insufficient_scope",
        "The access token does not have the scope required for this request.",
        "Le jeton d'accès ne dispose pas de la portée requise pour cette requête.",
    ),
    (
        "client_id_mismatch",
        "The client ID does not match the one the token was issued to.",
        "L'identifiant client ne correspond pas à celui pour lequel le jeton a été émis.",
    ),
    (
        "not_found",
        "The requested resource was not found.",
        "La ressource demandée est introuvable.",
    ),
    (
        "customer_identity_not_found",
        "No customer matches the identity provided.",
        "Aucun client ne correspond à l'identité fournie.",
    ),
    (
        "user_not_able_to_purchase",
        "This customer cannot make purchases at this time.",
        "Ce client ne peut pas effectuer d'achats pour le moment.",
    ),
    (
        "user_not_active",
        "The customer's account is not active.",
        "Le compte du client n'est pas actif.",
    ),
    (
        "sms_not_valid_phone",
        "This phone number cannot receive text messages.",
        "Ce numéro de téléphone ne peut pas recevoir de messages texte.",
    ),
    (
        "merchant_override_is_not_allowed",
        "Merchant override is not allowed for this store.",
        "La dérogation par le marchand n'est pas permise pour ce magasin.",
    ),
    (
        "regular_purchase_bypass_is_not_allowed",
        "Verification cannot be bypassed for a regular purchase.",
        "La vérification ne peut pas être contournée pour un achat régulier.",
    ),
    (
        "piw_mismatch",
        "The security question does not match the one on the account.",
        "La question de sécurité ne correspond pas à celle du compte.",
    ),
    (
        "secret_answer_mismatch",
        "The answer to the security question is incorrect.",
        "La réponse à la question de sécurité est incorrecte.",
    ),
    (
        "general_error",
        "Something went wrong. Please try again or contact support.",
        "Une erreur s'est produite. Veuillez réessayer ou communiquer avec le soutien technique.",
    ),
    (
        "application_create_error",
        "The application could not be created.",
        "La demande n'a pas pu être créée.",
    ),
    (
        "tos_agreement_required",
        "You must accept the terms and conditions to apply.",
        "Vous devez accepter les modalités pour présenter une demande.",
    ),
    (
        "customer_already_exists",
        "A customer with these details already exists.",
        "Un client possédant ces renseignements existe déjà.",
    ),
    (
        "application_declined",
        "The credit application was declined.",
        "La demande de crédit a été refusée.",
    ),
    (
        "not_verified",
        "The customer has not been verified.",
        "Le client n'a pas été vérifié.",
    ),
    (
        "external_location_id_not_found",
        "No store location matches the external location ID provided.",
        "Aucun emplacement de magasin ne correspond à l'identifiant externe fourni.",
    ),
    (
        "account_type_not_permitted",
        "This account type is not permitted for this operation.",
        "Ce type de compte n'est pas autorisé pour cette opération.",
    ),
    (
        "invalid_transaction_type",
        "The transaction type is invalid.",
        "Le type de transaction est invalide.",
    ),
    (
        "wrong_verification_code",
        "The verification code is incorrect.",
        "Le code de vérification est incorrect.",
    ),
    (
        "verification_code_required",
        "A verification code is required.",
        "Un code de vérification est requis.",
    ),
    (
        "limit_payment_amount_24",
        "Payments cannot exceed $10,000.00 in 24 hours.",
        "Les paiements ne peuvent pas dépasser 10 000,00 $ sur une période de 24 heures.",
    ),
    (
        "not_enough_credit",
        "There is not enough available credit for this purchase.",
        "Le crédit disponible est insuffisant pour cet achat.",
    ),
    (
        "vcc_account_mismatch",
        "The virtual card does not belong to this account.",
        "La carte virtuelle n'est pas associée à ce compte.",
    ),
    (
        "credit_exceeded",
        "The amount plus the cost of financing exceeds the available credit.",
        "Le montant, majoré du coût du financement, dépasse le crédit disponible.",
    ),
    (
        "auth_not_allowed",
        "This merchant is not enabled for pre-authorizations.",
        "Ce marchand n'est pas autorisé à effectuer des préautorisations.",
    ),
    (
        "plan_term_not_set",
        "No financing plan term was selected.",
        "Aucune durée de plan de financement n'a été choisie.",
    ),
    (
        "plan_term_not_available",
        "The selected plan term is not available.",
        "La durée de plan choisie n'est pas offerte.",
    ),
    (
        "capture_amount_exceeded",
        "The amount to return exceeds what remains of the capture.",
        "Le montant à retourner dépasse le solde restant de l'encaissement.",
    ),
    (
        "authorization_amount_exceeded",
        "The amount to capture or release exceeds what remains of the authorization.",
        "Le montant à encaisser ou à libérer dépasse le solde restant de l'autorisation.",
    ),
    (
        "authorization_not_open",
        "The authorization is no longer open.",
        "L'autorisation n'est plus active.",
    ),
    (
        "return_date_exceeded",
        "Returns must be made within 100 days of the capture.",
        "Les retours doivent être effectués dans les 100 jours suivant l'encaissement.",
    ),
    (
        "wrong_transaction_type",
        "Returns apply only to promotional purchases. Refund regular purchases to the account.",
        "Les retours s'appliquent uniquement aux achats promotionnels. Remboursez les achats \
         réguliers directement au compte.",
    ),
    (
        "not_permitted",
        "This employee is not permitted to process returns.",
        "Cet employé n'est pas autorisé à traiter des retours.",
    ),
    (
        "refunds_limit_exceeded_amount",
        "The total refunded would exceed the amount of the original purchase.",
        "Le total remboursé dépasserait le montant de l'achat initial.",
    ),
    (
        "authentication_failure",
        "Authentication failed.",
        "Échec de l'authentification.",
    ),
    (
        "idempotency_in_progress",
        "A request with this idempotency key is still being processed.",
        "Une requête portant cette clé d'idempotence est toujours en cours de traitement.",
    ),
    (
        "internal_error",
        "An internal error occurred.",
        "Une erreur interne s'est produite.",
    ),
    (
        "service_unavailable",
        "The service is temporarily unavailable. Please try again shortly.",
        "Le service est temporairement indisponible. Veuillez réessayer sous peu.",
    ),
    (
        "method_not_allowed",
        "This HTTP method is not allowed on this endpoint.",
        "Cette méthode HTTP n'est pas permise pour ce point de terminaison.",
    ),
    (
        "too_many_requests",
        "Too many requests. Please wait a moment and try again.",
        "Trop de requêtes. Veuillez patienter un moment, puis réessayer.",
    ),
];

/// Every code that has a message (for tests and the OpenAPI description).
pub const CODES: &[&str] = &{
    let mut out = [""; TABLE.len()];
    let mut i = 0;
    while i < TABLE.len() {
        out[i] = TABLE[i].0;
        i += 1;
    }
    out
};

fn pick(en: &'static str, fr: &'static str, lang: Lang) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Fr => fr,
    }
}

/// The message of an error code in `lang`; unknown codes get the general_error message.
pub fn message(code: &str, lang: Lang) -> &'static str {
    let (_, en, fr) = TABLE
        .iter()
        .find(|(c, _, _)| *c == code)
        .or_else(|| TABLE.iter().find(|(c, _, _)| *c == "general_error"))
        .expect("general_error is in the table");
    pick(en, fr, lang)
}

/// (key, English, French) for field errors.
const FIELD_TABLE: &[(&str, &str, &str)] = &[
    (
        "required",
        "This field is required.",
        "Ce champ est obligatoire.",
    ),
    (
        "invalid",
        "This value is invalid.",
        "Cette valeur est invalide.",
    ),
    (
        "too_long",
        "This value is too long.",
        "Cette valeur est trop longue.",
    ),
    (
        "not_allowed",
        "This field is not allowed.",
        "Ce champ n'est pas permis.",
    ),
    (
        "must_be_positive",
        "Must be greater than zero.",
        "Doit être supérieur à zéro.",
    ),
    (
        "too_many_decimals",
        "Too many decimal places (at most 2).",
        "Trop de décimales (2 au maximum).",
    ),
    (
        "one_of_required",
        "One of these fields is required.",
        "L'un de ces champs est obligatoire.",
    ),
    (
        "only_one_allowed",
        "Only one of these fields may be provided.",
        "Un seul de ces champs peut être fourni.",
    ),
    ("must_be_true", "Must be accepted.", "Doit être accepté."),
    (
        "https_required",
        "Live calls must be made over HTTPS.",
        "En mode production, les appels doivent passer par HTTPS.",
    ),
    (
        "untrusted_network",
        "This client does not accept calls from this address.",
        "Ce client n'accepte pas d'appels depuis cette adresse.",
    ),
];

/// The `msg` of a field error: keys "required", "invalid", "too_long", "not_allowed",
/// "must_be_positive", "too_many_decimals", "one_of_required", "only_one_allowed",
/// "must_be_true", "https_required", "untrusted_network". Unknown keys get the "invalid"
/// message.
pub fn field_message(key: &str, lang: Lang) -> &'static str {
    let (_, en, fr) = FIELD_TABLE
        .iter()
        .find(|(k, _, _)| *k == key)
        .or_else(|| FIELD_TABLE.iter().find(|(k, _, _)| *k == "invalid"))
        .expect("invalid is in the field table");
    pick(en, fr, lang)
}

/// (key, English, French) for the `i18n` endpoint.
const UI_TABLE: &[(&str, &str, &str)] = &[
    (
        "apply_title",
        "Apply for financing",
        "Demander du financement",
    ),
    (
        "purchase_title",
        "Pay with financing",
        "Payer avec du financement",
    ),
    ("first_name", "First name", "Prénom"),
    ("middle_name", "Middle name", "Deuxième prénom"),
    ("last_name", "Last name", "Nom de famille"),
    ("date_of_birth", "Date of birth", "Date de naissance"),
    ("date_format_hint", "YYYY-MM-DD", "AAAA-MM-JJ"),
    ("email", "Email address", "Adresse courriel"),
    (
        "phone",
        "Mobile phone number",
        "Numéro de téléphone cellulaire",
    ),
    ("address", "Street address", "Adresse municipale"),
    (
        "address_2",
        "Apartment, suite or unit",
        "Appartement, bureau ou unité",
    ),
    ("city", "City", "Ville"),
    ("province", "Province", "Province"),
    ("postal_code", "Postal code", "Code postal"),
    (
        "income",
        "Gross annual household income",
        "Revenu annuel brut du ménage",
    ),
    (
        "employment_status",
        "Employment status",
        "Situation d'emploi",
    ),
    (
        "scan_licence",
        "Scan driver's licence",
        "Numériser le permis de conduire",
    ),
    (
        "tos_consent",
        "I have read and agree to the terms and conditions and consent to a credit check.",
        "J'ai lu les modalités, je les accepte et je consens à une vérification de crédit.",
    ),
    (
        "view_terms",
        "View terms and conditions",
        "Consulter les modalités",
    ),
    ("amount", "Purchase amount", "Montant de l'achat"),
    ("available_credit", "Available credit", "Crédit disponible"),
    ("credit_limit", "Credit limit", "Limite de crédit"),
    ("plan", "Financing plan", "Plan de financement"),
    ("term", "Term", "Durée"),
    ("months", "months", "mois"),
    ("monthly_payment", "Monthly payment", "Versement mensuel"),
    (
        "apr",
        "Annual percentage rate (APR)",
        "Taux annuel effectif (TAE)",
    ),
    ("admin_fee", "Administration fee", "Frais d'administration"),
    (
        "total_cost",
        "Total cost of borrowing",
        "Coût total d'emprunt",
    ),
    (
        "pin_prompt",
        "Ask the customer to enter their PIN",
        "Demandez au client d'entrer son NIP",
    ),
    (
        "verification_code",
        "Verification code",
        "Code de vérification",
    ),
    (
        "verification_code_sent",
        "We sent a verification code by text message.",
        "Nous avons envoyé un code de vérification par message texte.",
    ),
    ("submit", "Submit", "Soumettre"),
    ("continue", "Continue", "Continuer"),
    ("back", "Back", "Retour"),
    ("cancel", "Cancel", "Annuler"),
    ("processing", "Processing…", "Traitement en cours…"),
    ("approved", "Approved", "Approuvée"),
    ("declined", "Declined", "Refusée"),
    ("pending_review", "Pending review", "En cours d'examen"),
    (
        "approved_detail",
        "Congratulations! Your application has been approved.",
        "Félicitations ! Votre demande a été approuvée.",
    ),
    (
        "declined_detail",
        "We are unable to approve your application at this time.",
        "Nous ne pouvons pas approuver votre demande pour le moment.",
    ),
    (
        "pending_review_detail",
        "Your application is being reviewed. We will contact you shortly.",
        "Votre demande est en cours d'examen. Nous communiquerons avec vous sous peu.",
    ),
    ("purchase_complete", "Purchase complete", "Achat terminé"),
];

/// UI strings for the `i18n` endpoint: a map of key → text in `lang`. Same key set in both
/// languages.
pub fn ui_strings(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    UI_TABLE
        .iter()
        .map(|(k, en, fr)| (*k, pick(en, fr, lang)))
        .collect()
}

/// The version of [`terms`]; bump it whenever either text changes so stored consents can tell
/// which wording the customer accepted.
pub const TERMS_VERSION: &str = "2026-01";

const TERMS_EN: &str = "\
Summary of your consumer credit agreement

This summary highlights key terms of the revolving credit account you are applying for. \
The full cardholder agreement, which will be sent to you if you are approved, governs your \
account; if the two differ, the cardholder agreement prevails.

Credit check and personal information. By applying, you consent to us obtaining your credit \
report from one or more credit bureaus, verifying the information you provide, and sharing \
information about your account with credit bureaus and the merchant where you apply, as \
permitted by law. We use your personal information to assess your application, administer \
your account and prevent fraud.

Promotional plans. Purchases may be made under a promotional plan (for example, equal monthly \
payments or no interest for a set term). The plan, term, monthly payment, annual percentage \
rate, administration fee and total cost of borrowing are disclosed to you before you confirm \
each purchase. If you miss a payment, a promotional rate may end and the regular rate may apply \
to the remaining balance.

Interest and fees. Regular purchases bear interest at the annual percentage rate stated in \
your agreement, calculated daily and charged monthly. An administration fee may apply to a \
promotional plan. You may repay all or part of your balance at any time without penalty.

Payments and statements. You must make at least the minimum payment shown on your monthly \
statement by its due date. Returned payments may incur a fee.

Cancellation. You may cancel your account at any time by contacting us; you remain \
responsible for any balance owing. Questions or complaints may be directed to our customer \
service, and you may also contact the Financial Consumer Agency of Canada.";

const TERMS_FR: &str = "\
Sommaire de votre contrat de crédit à la consommation

Le présent sommaire résume les principales modalités du compte de crédit renouvelable pour \
lequel vous présentez une demande. Le contrat du titulaire complet, qui vous sera envoyé si \
votre demande est approuvée, régit votre compte ; en cas de divergence, le contrat du \
titulaire prévaut.

Vérification de crédit et renseignements personnels. En présentant une demande, vous \
consentez à ce que nous obtenions votre dossier de crédit auprès d'une ou de plusieurs agences \
d'évaluation du crédit, à ce que nous vérifiions les renseignements que vous fournissez et à \
ce que nous communiquions des renseignements sur votre compte aux agences d'évaluation du \
crédit et au marchand auprès duquel vous présentez votre demande, dans la mesure permise par \
la loi. Nous utilisons vos renseignements personnels pour évaluer votre demande, gérer votre \
compte et prévenir la fraude.

Plans promotionnels. Les achats peuvent être effectués dans le cadre d'un plan promotionnel \
(par exemple, des versements mensuels égaux ou aucun intérêt pendant une durée déterminée). \
Le plan, la durée, le versement mensuel, le taux annuel effectif, les frais d'administration \
et le coût total d'emprunt vous sont communiqués avant que vous confirmiez chaque achat. Si \
vous omettez un paiement, le taux promotionnel peut prendre fin et le taux régulier peut \
s'appliquer au solde restant.

Intérêts et frais. Les achats réguliers portent intérêt au taux annuel effectif indiqué dans \
votre contrat, calculé quotidiennement et imputé mensuellement. Des frais d'administration \
peuvent s'appliquer à un plan promotionnel. Vous pouvez rembourser la totalité ou une partie \
de votre solde en tout temps, sans pénalité.

Paiements et relevés. Vous devez effectuer au moins le paiement minimum indiqué sur votre \
relevé mensuel au plus tard à la date d'échéance. Des frais peuvent s'appliquer aux paiements \
refusés.

Annulation. Vous pouvez annuler votre compte en tout temps en communiquant avec nous ; vous \
demeurez responsable de tout solde impayé. Vous pouvez adresser vos questions ou vos plaintes \
à notre service à la clientèle, et vous pouvez aussi communiquer avec l'Agence de la \
consommation en matière financière du Canada.";

/// Terms and conditions for the apply flow: (version, text) in `lang`.
pub fn terms(lang: Lang) -> (&'static str, &'static str) {
    (TERMS_VERSION, pick(TERMS_EN, TERMS_FR, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_code_has_distinct_non_empty_messages() {
        assert!(!CODES.is_empty());
        for code in CODES {
            let en = message(code, Lang::En);
            let fr = message(code, Lang::Fr);
            assert!(!en.trim().is_empty(), "{code}: empty English");
            assert!(!fr.trim().is_empty(), "{code}: empty French");
            assert_ne!(en, fr, "{code}: French is a copy of English");
        }
    }

    #[test]
    fn codes_are_unique_and_cover_the_table() {
        let set: BTreeSet<_> = CODES.iter().collect();
        assert_eq!(set.len(), CODES.len(), "duplicate code");
        assert_eq!(CODES.len(), TABLE.len());
        for code in [
            "wrong_inputs",
            "general_error",
            "piw_mismatch",
            "limit_payment_amount_24",
            "too_many_requests",
        ] {
            assert!(CODES.contains(&code), "{code} missing");
        }
    }

    #[test]
    fn codes_are_snake_case() {
        for code in CODES {
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
        }
    }

    #[test]
    fn english_and_french_messages_are_unique_per_language() {
        for lang in [Lang::En, Lang::Fr] {
            let set: BTreeSet<_> = CODES.iter().map(|c| message(c, lang)).collect();
            assert_eq!(
                set.len(),
                CODES.len(),
                "two codes share a message in {lang:?}"
            );
        }
    }

    #[test]
    fn known_wording() {
        assert_eq!(message("wrong_inputs", Lang::En), "Some inputs are wrong!");
        assert_eq!(
            message("wrong_inputs", Lang::Fr),
            "Certaines données saisies sont erronées !"
        );
    }

    #[test]
    fn unknown_code_falls_back_to_general_error() {
        for lang in [Lang::En, Lang::Fr] {
            assert_eq!(
                message("no_such_code", lang),
                message("general_error", lang)
            );
            assert_eq!(message("", lang), message("general_error", lang));
        }
    }

    #[test]
    fn field_messages() {
        let keys = [
            "required",
            "invalid",
            "too_long",
            "not_allowed",
            "must_be_positive",
            "too_many_decimals",
            "one_of_required",
            "only_one_allowed",
            "must_be_true",
            "https_required",
            "untrusted_network",
        ];
        assert_eq!(keys.len(), FIELD_TABLE.len());
        for key in keys {
            assert!(FIELD_TABLE.iter().any(|(k, _, _)| *k == key), "{key}");
            let en = field_message(key, Lang::En);
            let fr = field_message(key, Lang::Fr);
            assert!(!en.is_empty() && !fr.is_empty());
            assert_ne!(en, fr, "{key}");
        }
        assert_eq!(
            field_message("bogus", Lang::Fr),
            field_message("invalid", Lang::Fr)
        );
    }

    #[test]
    fn ui_strings_have_the_same_keys_in_both_languages() {
        let en = ui_strings(Lang::En);
        let fr = ui_strings(Lang::Fr);
        assert!(en.len() >= 25);
        assert_eq!(en.len(), UI_TABLE.len(), "duplicate UI key");
        assert_eq!(en.keys().collect::<Vec<_>>(), fr.keys().collect::<Vec<_>>());
        for key in [
            "first_name",
            "last_name",
            "date_of_birth",
            "postal_code",
            "province",
            "email",
            "phone",
            "address",
            "city",
            "income",
            "tos_consent",
            "plan",
            "term",
            "monthly_payment",
            "apr",
            "admin_fee",
            "total_cost",
            "submit",
            "cancel",
            "pin_prompt",
            "approved",
            "declined",
            "pending_review",
        ] {
            assert!(en.contains_key(key), "{key}");
        }
        assert!(en.values().chain(fr.values()).all(|v| !v.is_empty()));
    }

    #[test]
    fn terms_are_versioned_and_substantial() {
        for lang in [Lang::En, Lang::Fr] {
            let (version, text) = terms(lang);
            assert_eq!(version, "2026-01");
            assert!(text.chars().count() >= 600, "{lang:?} terms too short");
            assert!(text.contains("\n\n"), "{lang:?} terms are one paragraph");
        }
        assert_ne!(terms(Lang::En).1, terms(Lang::Fr).1);
    }

    #[test]
    fn lang_parse() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("en-CA"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), Some(Lang::Fr));
        assert_eq!(Lang::parse("Fr"), Some(Lang::Fr));
        assert_eq!(Lang::parse("fr-CA"), Some(Lang::Fr));
        assert_eq!(Lang::parse("FR-ca"), Some(Lang::Fr));
        assert_eq!(Lang::parse(""), None);
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::parse("fr-FR"), None);
        assert_eq!(Lang::parse("english"), None);
    }

    #[test]
    fn lang_round_trips_and_defaults_to_english() {
        assert_eq!(Lang::default(), Lang::En);
        for lang in [Lang::En, Lang::Fr] {
            assert_eq!(Lang::parse(lang.as_str()), Some(lang));
        }
        assert_eq!(Lang::En.as_str(), "en");
        assert_eq!(Lang::Fr.as_str(), "fr");
    }
}
