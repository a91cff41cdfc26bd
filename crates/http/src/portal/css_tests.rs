//! The focus ring must reach 3:1 contrast (WCAG 2.2 SC 1.4.11 and 2.4.13) against every surface
//! of the stylesheet it can be drawn on; checked on `portal.css` itself so a new surface or a
//! changed colour cannot slip past.

use super::CSS;

/// Rules whose background is a fill the ring is never drawn on: a control draws its ring
/// outside itself (`outline-offset`), and badges and pills hold nothing focusable.
const NOT_SURFACES: &[&str] = &["button", "input", ".mode", ".pill"];

/// `#rgb` or `#rrggbb` as 0–255 channels.
fn rgb(hex: &str) -> [u8; 3] {
    let h = hex.trim_start_matches('#');
    let full: String = if h.len() == 3 {
        h.chars().flat_map(|c| [c, c]).collect()
    } else {
        h.to_string()
    };
    let byte = |i: usize| u8::from_str_radix(&full[i..i + 2], 16).expect("hex colour");
    [byte(0), byte(2), byte(4)]
}

fn luminance(c: [u8; 3]) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The value of custom property `--name` in `:root`.
fn var(name: &str) -> String {
    let at = CSS.find(&format!("--{name}:")).expect("custom property") + name.len() + 3;
    CSS[at..].split(';').next().unwrap().trim().to_string()
}

fn resolve(value: &str) -> String {
    match value.strip_prefix("var(--") {
        Some(rest) => var(rest.trim_end_matches(')')),
        None => value.to_string(),
    }
}

/// Every `(selector, background colour)` of the stylesheet.
fn backgrounds() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for rule in CSS.split('}') {
        let Some((selector, body)) = rule.split_once('{') else {
            continue;
        };
        let selector = selector.rsplit("*/").next().unwrap().trim().to_string();
        for decl in body.split(';') {
            if let Some((prop, value)) = decl.split_once(':')
                && matches!(prop.trim(), "background" | "background-color")
            {
                out.push((selector.clone(), resolve(value.trim())));
            }
        }
    }
    out
}

#[test]
fn the_focus_ring_reaches_three_to_one_on_every_surface() {
    let ring = var("focus");
    let focus_rule = CSS
        .split('}')
        .find(|r| r.contains(":focus-visible"))
        .expect("a focus rule");
    assert!(
        focus_rule.contains("outline: 3px solid var(--focus)"),
        "{focus_rule}"
    );
    let surfaces: Vec<(String, String)> = backgrounds()
        .into_iter()
        .filter(|(sel, value)| {
            value.starts_with('#') && !NOT_SURFACES.iter().any(|n| sel.starts_with(n))
        })
        .collect();
    assert!(surfaces.len() >= 8, "{surfaces:?}");
    for (selector, colour) in &surfaces {
        let ratio = contrast(rgb(&ring), rgb(colour));
        assert!(
            ratio >= 3.0,
            "the focus ring {ring} on {selector} ({colour}) is {ratio:.2}:1"
        );
    }
    // The ring the portal had before (amber) would not pass: the check can fail.
    assert!(contrast(rgb("#f4b400"), rgb(&var("card"))) < 3.0);
}
