//! How a merchant tells API keys apart without the secrets: the name given when a set is issued
//! and a preview of each secret's last four characters. Pure rules, so the portal, the admin API
//! and the CLI refuse the same names and show the same previews.

/// The longest name a credential set may carry, in characters.
pub const NAME_MAX: usize = 100;

/// A merchant-given name, trimmed; `Ok(None)` for none (absent or blank). Refused when longer
/// than [`NAME_MAX`] characters or when it holds a control character (a NUL, a line break).
pub fn name(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(trimmed) = raw.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if trimmed.chars().count() > NAME_MAX || trimmed.chars().any(char::is_control) {
        return Err(format!(
            "name must be at most {NAME_MAX} characters, without control characters"
        ));
    }
    Ok(Some(trimmed.to_string()))
}

/// The part of a secret that may be stored and shown: "…" and its last four characters. A
/// secret of eight characters or fewer shows nothing of itself, so no preview gives away half
/// of a short one.
pub fn preview(secret: &str) -> String {
    let n = secret.chars().count();
    if n <= 8 {
        return "…".to_string();
    }
    let tail: String = secret.chars().skip(n - 4).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_blank_is_none() {
        assert_eq!(
            name(Some("  Checkout server ")),
            Ok(Some("Checkout server".into()))
        );
        assert_eq!(name(Some("   ")), Ok(None));
        assert_eq!(name(None), Ok(None));
    }

    #[test]
    fn long_names_and_control_characters_are_refused() {
        assert!(name(Some(&"a".repeat(NAME_MAX))).is_ok());
        assert!(name(Some(&"a".repeat(NAME_MAX + 1))).is_err());
        assert!(name(Some("line\nbreak")).is_err());
        assert!(name(Some("nul\0")).is_err());
    }

    #[test]
    fn preview_keeps_the_last_four_characters_only() {
        assert_eq!(preview("sk_0123456789abcd"), "…abcd");
        assert_eq!(preview("Zm9vYmFyYmF6cXV4+/=="), "…+/==");
        assert_eq!(preview("éééééééééwxyz"), "…wxyz");
        assert_eq!(preview("short"), "…");
        assert_eq!(preview(""), "…");
    }
}
