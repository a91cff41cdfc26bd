//! FlexFactor webhook signatures (docs/flexfactor.md §10.3): the body's SHA-512, an HMAC-SHA512 of
//! the body, and an authorization header whose HMAC covers nonce, date, host and body hash, all
//! under the base64-decoded webhook subscriber key.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha512};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub nonce: String,
    pub date: String,
    pub content_sha512: String,
    pub signature: String,
    pub authorization: String,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn hmac512(key: &[u8], data: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha512> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    b64().encode(mac.finalize().into_bytes())
}

/// Signs `body` for delivery to `host` (the receiver's Host header value). `key_b64` is the
/// webhook key as issued; a key that is not base64 is used as raw bytes.
pub fn sign(key_b64: &str, body: &[u8], host: &str, nonce: &str, date: &str) -> SignedHeaders {
    let key = b64()
        .decode(key_b64.trim())
        .unwrap_or_else(|_| key_b64.as_bytes().to_vec());
    let content_sha512 = b64().encode(Sha512::digest(body));
    let signature = hmac512(&key, body);
    let to_sign = format!("POST\n{nonce};{date};{host};{content_sha512}");
    let auth_sig = hmac512(&key, to_sign.as_bytes());
    SignedHeaders {
        nonce: nonce.to_string(),
        date: date.to_string(),
        content_sha512,
        signature,
        authorization: format!(
            "HMAC-SHA512 SignedHeaders=x-fc-nonce;x-fc-date;host;x-fc-content-sha512&Signature={auth_sig}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The public SDK sample's test vector, byte for byte.
    #[test]
    fn matches_the_published_test_vector() {
        let body = br#"{"Event":"order.completed","TimeStamp":"2023-03-20T17:16:40.898703Z","EventData":null,"ExternalOrderId":"a9735210-1349-49bf-bfde-b737dd07872a","OrderId":"ac9674ed-cbfe-49aa-bc8b-eb1d2b74c429","ConfirmationId":"22ACD1D9","IsTestMode":true,"IsResent":false}"#;
        assert_eq!(body.len(), 255);
        let h = sign(
            "XRmKBxG5uvt1qWzqvp+T6CAbTo0MB89GTxXZD5cHA56RP7Mj4NbnHQOR1Y8uorUU9YQz8ujaVRUdm9vTSkPZSw==",
            body,
            "fctestwebhook.free.beeceptor.com",
            "5f1c2de28a76457c9cb79d1740f2260a",
            "Mon, 20 Mar 2023 17:16:40 GMT",
        );
        assert_eq!(
            h.content_sha512,
            "pLs0Op5VWqQM3ZIumqC2NP6MDqcnwFN1znp/oCuw9LcYd8PtvLC8ProyPg8ZDadsRc36NskT3QGKn/PkNqwWfg=="
        );
        assert_eq!(
            h.signature,
            "SbzcEwAKsViWqrB8+suZMjOdadswbUjLHtIKjDQJYle31xbB8Vr0pVTDaNP28/y+NDynpyFyKKnXmWZy8uJVig=="
        );
        assert_eq!(
            h.authorization,
            "HMAC-SHA512 SignedHeaders=x-fc-nonce;x-fc-date;host;x-fc-content-sha512&Signature=+HXN8ZewgINLk+uC/UI92HSWmLK7gZOECPxOGEM91ATyfyzScMF/+osEK5B0UjO7OFqahDvesSo8jmUWMZtQnA=="
        );
    }
}
