//! `X-Twilio-Signature`: Twilio's documented request signature
//! (<https://www.twilio.com/docs/usage/security#validating-requests>).
//!
//! The signed string is the full URL Twilio requested (scheme, host, path, query string) followed
//! by every POST parameter, sorted by name, each name immediately followed by its value. The
//! signature is the base64 of HMAC-SHA1(that string, the account's auth token). A name sent more
//! than once contributes each of its values, in value order (as Twilio's helper libraries do); an
//! empty value contributes its name alone.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The name/value pairs of an `application/x-www-form-urlencoded` body, in the order sent (`+` is
/// a space, `%XX` a byte; a repeated name keeps each value).
pub fn parse_form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The string Twilio signs: `url` then each parameter's name and value, sorted by name then value.
pub fn signed_string(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    data
}

fn mac(token: &str, data: &str) -> HmacSha1 {
    let mut mac = HmacSha1::new_from_slice(token.as_bytes()).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac
}

/// The `X-Twilio-Signature` Twilio would send for this request.
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    BASE64.encode(
        mac(token, &signed_string(url, params))
            .finalize()
            .into_bytes(),
    )
}

/// The URL as given, and with the default port of an `https` URL added or removed: Twilio's
/// libraries accept either, because proxies differ in whether they keep `:443`.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Some(rest) = url.strip_prefix("https://") else {
        return variants;
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    if let Some(host) = authority.strip_suffix(":443") {
        variants.push(format!("https://{host}{tail}"));
    } else if !authority.contains(':') {
        variants.push(format!("https://{authority}:443{tail}"));
    }
    variants
}

/// True when `signature` is what Twilio computes for `url` and `params` with one of `tokens` (an
/// account may have a primary and a secondary auth token during rotation). The comparison is
/// constant-time (the HMAC's own `verify_slice`).
pub fn verify(tokens: &[String], url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(given) = BASE64.decode(signature.trim()) else {
        return false;
    };
    url_variants(url).iter().any(|url| {
        let data = signed_string(url, params);
        tokens
            .iter()
            .filter(|t| !t.is_empty())
            .any(|token| mac(token, &data).verify_slice(&given).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    /// Twilio's published example (security docs and helper-library docs): auth token `12345`.
    #[test]
    fn twilios_published_example_verifies() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(sign("12345", url, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        let tokens = vec!["12345".to_string()];
        assert!(verify(
            &tokens,
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        // the port Twilio's libraries tolerate
        assert!(verify(
            &tokens,
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        // any change to the URL, a value, or the token fails
        assert!(!verify(
            &tokens,
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        let mut changed = params.clone();
        changed[2].1 = "1235".into();
        assert!(!verify(
            &tokens,
            url,
            &changed,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify(
            &["54321".into()],
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify(&tokens, url, &params, ""));
        assert!(!verify(&tokens, url, &params, "not base64!"));
        // rotation: the second token verifies too
        assert!(verify(
            &["old".into(), "12345".into()],
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn repeated_and_empty_parameters_are_signed_as_twilio_does() {
        // a form body as Twilio posts it: a repeated name, an empty value, `+` for a space
        let body = "Body=&MediaUrl=https%3A%2F%2Fb.example&To=whatsapp%3A%2B1&MediaUrl=https%3A%2F%2Fa.example&ProfileName=Ana+Mar%C3%ADa";
        let params = parse_form(body);
        assert_eq!(params.len(), 5);
        assert_eq!(
            params[4],
            ("ProfileName".to_string(), "Ana María".to_string())
        );
        let url = "https://example.com/webhooks/twilio";
        assert_eq!(
            signed_string(url, &params),
            "https://example.com/webhooks/twilioBodyMediaUrlhttps://a.exampleMediaUrlhttps://b.exampleProfileNameAna MaríaTowhatsapp:+1"
        );
        // the order the form arrived in does not matter
        let mut reversed = params.clone();
        reversed.reverse();
        let signature = sign("tok", url, &params);
        assert_eq!(sign("tok", url, &reversed), signature);
        assert!(verify(&["tok".into()], url, &reversed, &signature));
        // dropping the empty parameter changes the signature
        let without_empty: Vec<_> = params
            .iter()
            .filter(|(k, _)| k != "Body")
            .cloned()
            .collect();
        assert!(!verify(&["tok".into()], url, &without_empty, &signature));
    }
}
