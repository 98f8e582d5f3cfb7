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
        assert!(Redactor::is_secret_name("AZURE_STORAGE_SAS_KEY"));
        assert!(!Redactor::is_secret_name("region"));
    }
}
