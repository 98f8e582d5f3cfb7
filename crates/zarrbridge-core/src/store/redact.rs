//! Keeping credentials out of every message: reprs, errors (with their causes) and logs.

use std::sync::Arc;

use url::Url;

/// Replaces known secret values in text with `***`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<[String]>,
}

/// Words that mark an option or environment variable as holding a credential.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "token",
    "password",
    "key",
    "sas",
    "credential",
    "signature",
];

/// Environment variables the cloud builders read credentials from.
const ENV_PREFIXES: &[&str] = &["AWS_", "AZURE_", "GOOGLE_"];

impl Redactor {
    /// A redactor for `secrets`, plus the credentials the builders may take from the
    /// environment.
    #[must_use]
    pub fn new(mut secrets: Vec<String>) -> Self {
        secrets.extend(std::env::vars().filter_map(|(name, value)| {
            let from_cloud = ENV_PREFIXES.iter().any(|p| name.starts_with(p));
            (from_cloud && Self::is_secret_name(&name)).then_some(value)
        }));
        // Very short values would blank out ordinary words; longest first so that a secret
        // containing another is replaced whole.
        secrets.retain(|s| s.len() >= 4);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self {
            secrets: secrets.into(),
        }
    }

    /// Whether an option or variable of this name holds a credential.
    #[must_use]
    pub fn is_secret_name(name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        SECRET_WORDS.iter().any(|w| lower.contains(w))
    }

    /// `text` with every secret replaced by `***` (also in their URL-encoded form).
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets.iter() {
            out = out.replace(secret.as_str(), "***");
            let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            if encoded != *secret {
                out = out.replace(&encoded, "***");
            }
        }
        out
    }

    /// A URL without its password (the user name stays).
    #[must_use]
    pub fn strip_userinfo(url: &str) -> String {
        match Url::parse(url) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            _ => url.to_string(),
        }
    }

    /// A URL safe to show: its password and the value of every query parameter replaced by
    /// `***` (the names stay), its fragment dropped. Query strings carry credentials in many
    /// forms (SAS tokens' `sig`, presigned URLs' `X-Amz-Signature`/`X-Amz-Credential`,
    /// `token`, `key`, ...), and a list of names would always miss one; none of these stores
    /// sends the query anyway. Text that does not parse as a URL loses everything after `?`
    /// and `#`, and its user info.
    #[must_use]
    pub fn redact_url(url: &str) -> String {
        let Ok(mut parsed) = Url::parse(url) else {
            return Self::redact_unparsed_url(url);
        };
        if parsed.password().is_some() {
            let _ = parsed.set_password(Some("***"));
        }
        if parsed.query().is_some() {
            let names: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
            parsed.set_query(None);
            if !names.is_empty() {
                let mut pairs = parsed.query_pairs_mut();
                for name in &names {
                    pairs.append_pair(name, "***");
                }
            }
        }
        parsed.set_fragment(None);
        parsed.to_string()
    }

    fn redact_unparsed_url(url: &str) -> String {
        let cut = url.find(['?', '#']).unwrap_or(url.len());
        let (head, tail) = url.split_at(cut);
        let head = match head.split_once("://") {
            Some((scheme, rest)) => {
                let authority_end = rest.find('/').unwrap_or(rest.len());
                match rest[..authority_end].rfind('@') {
                    Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                    None => head.to_string(),
                }
            }
            None => head.to_string(),
        };
        if tail.is_empty() {
            head
        } else {
            format!("{head}?***")
        }
    }

    /// The secrets a URL holds: its password and its query parameters' values.
    #[must_use]
    pub fn url_secrets(url: &str) -> Vec<String> {
        let Ok(parsed) = Url::parse(url) else {
            return Vec::new();
        };
        let mut secrets: Vec<String> = parsed.query_pairs().map(|(_, v)| v.into_owned()).collect();
        if let Some(query) = parsed.query() {
            // As written, too: messages may quote the URL percent-encoded.
            secrets.extend(
                query
                    .split('&')
                    .filter_map(|p| p.split_once('='))
                    .map(|(_, v)| v.to_string()),
            );
        }
        secrets.extend(parsed.password().map(str::to_string));
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::Redactor;

    #[test]
    fn replaces_secrets_and_their_encoded_form() {
        let r = Redactor::new(vec!["s3cr/t+x".into(), "ab".into()]);
        assert_eq!(r.redact("a s3cr/t+x b s3cr%2Ft%2Bx ab"), "a *** b *** ab");
        assert_eq!(
            Redactor::strip_userinfo("https://me:pw@host/x"),
            "https://me:***@host/x"
        );
        assert!(Redactor::is_secret_name("aws_secret_access_key"));
        assert_eq!(
            Redactor::redact_url("https://u:pw@h/p?sv=2020-01&sig=abc%2Bdef#frag"),
            "https://u:***@h/p?sv=***&sig=***"
        );
        assert_eq!(
            Redactor::redact_url("https://h/p?X-Amz-Signature=abc&flag"),
            "https://h/p?X-Amz-Signature=***&flag=***"
        );
        assert_eq!(Redactor::redact_url("s3://bucket/p"), "s3://bucket/p");
        assert_eq!(
            Redactor::redact_url("ht!tp://me:pw@x y/p?token=abc"),
            "ht!tp://***@x y/p?***"
        );
        let secrets = Redactor::url_secrets("https://u:pw@h/p?sig=a%2Bb&token=t0k3n");
        for s in ["a+b", "a%2Bb", "t0k3n", "pw"] {
            assert!(secrets.contains(&s.to_string()), "{s} in {secrets:?}");
        }
        assert!(Redactor::is_secret_name("AZURE_STORAGE_SAS_KEY"));
        assert!(!Redactor::is_secret_name("region"));
    }
}
