//! Cloud object stores (S3, GCS, Azure, HTTP) declared by URL and options, built with
//! `object_store`'s builders. Option names are obstore's (which are `object_store`'s); unknown
//! names are refused with the list of accepted ones, and credentials are read from the
//! environment the way obstore does.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientConfigKey, ObjectStore, ObjectStoreScheme, RetryConfig};
use serde_json::{json, Map, Value};
use url::Url;

use super::options::option_text;
use super::redact::Redactor;
use super::timeouts::{Purpose, ReadsAndWrites, READ_TIMEOUT, RETRY_TIMEOUT};
use crate::error::{Error, Result};

/// A cloud store as declared: URL (its path is the store's prefix) and options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CloudDecl {
    /// `s3://bucket/prefix`, `gs://...`, `az://...`, `https://...`.
    pub url: String,
    /// Service settings (`region`, `endpoint`, `aws_access_key_id`, ...).
    pub config: BTreeMap<String, String>,
    /// HTTP client settings (`allow_http`, `timeout`, ...); timeouts not given take this
    /// library's defaults (see [`super::timeouts`]).
    pub client_options: BTreeMap<String, String>,
    /// Retry settings; what is not given takes `object_store`'s defaults, except
    /// `retry_timeout` (see [`super::timeouts`]).
    pub retry: Option<RetrySpec>,
}

/// obstore's `retry_config`, with durations in seconds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RetrySpec {
    /// Retries after the first attempt.
    pub max_retries: Option<usize>,
    /// Give up retrying after this long (seconds).
    pub retry_timeout: Option<f64>,
    /// First backoff (seconds).
    pub init_backoff: Option<f64>,
    /// Longest backoff (seconds).
    pub max_backoff: Option<f64>,
    /// Backoff growth factor.
    pub base: Option<f64>,
}

/// The service a cloud URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Amazon S3 and compatible servers.
    S3,
    /// Google Cloud Storage.
    Gcs,
    /// Azure Blob Storage.
    Azure,
    /// Plain HTTP(S) and `WebDAV`.
    Http,
}

impl Service {
    /// Canonical names of the accepted `config` keys (aliases are accepted too).
    fn config_keys(self) -> &'static [&'static str] {
        match self {
            Self::S3 => &[
                "aws_access_key_id",
                "aws_secret_access_key",
                "aws_session_token",
                "aws_region",
                "aws_default_region",
                "aws_bucket",
                "aws_endpoint",
                "aws_endpoint_url_s3",
                "aws_s3_express",
                "aws_imdsv1_fallback",
                "aws_metadata_endpoint",
                "aws_unsigned_payload",
                "aws_checksum_algorithm",
                "aws_role_arn",
                "aws_role_session_name",
                "aws_endpoint_url_sts",
                "aws_skip_signature",
                "aws_copy_if_not_exists",
                "aws_conditional_put",
                "aws_disable_tagging",
                "aws_disable_bulk_delete",
                "aws_request_payer",
                "aws_server_side_encryption",
                "aws_sse_kms_key_id",
                "aws_sse_bucket_key_enabled",
                "aws_sse_customer_key_base64",
                "aws_virtual_hosted_style_request",
            ],
            Self::Gcs => &[
                "google_service_account",
                "google_service_account_key",
                "google_application_credentials",
                "google_bucket",
                "google_base_url",
                "google_bearer_token",
                "google_skip_signature",
            ],
            Self::Azure => &[
                "azure_storage_account_name",
                "azure_storage_account_key",
                "azure_storage_client_id",
                "azure_storage_client_secret",
                "azure_storage_tenant_id",
                "azure_storage_sas_key",
                "azure_storage_token",
                "azure_storage_use_emulator",
                "azure_storage_endpoint",
                "azure_msi_endpoint",
                "azure_object_id",
                "azure_msi_resource_id",
                "azure_federated_token_file",
                "azure_use_fabric_endpoint",
                "azure_use_azure_cli",
                "azure_skip_signature",
                "azure_container_name",
                "azure_disable_tagging",
                "azure_storage_encryption_key",
            ],
            Self::Http => &[],
        }
    }

    /// The canonical name of `config` key `key` (aliases and any case accepted).
    fn canonical_config_key(self, key: &str) -> Result<String> {
        let lower = key.to_ascii_lowercase();
        let unknown = || unknown_key(self.label(), key, self.config_keys());
        match self {
            Self::S3 => AmazonS3ConfigKey::from_str(&lower)
                .map(|k| k.as_ref().to_string())
                .map_err(|_| unknown()),
            Self::Gcs => GoogleConfigKey::from_str(&lower)
                .map(|k| k.as_ref().to_string())
                .map_err(|_| unknown()),
            Self::Azure => AzureConfigKey::from_str(&lower)
                .map(|k| k.as_ref().to_string())
                .map_err(|_| unknown()),
            Self::Http => Err(unknown()),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::S3 => "S3 config",
            Self::Gcs => "GCS config",
            Self::Azure => "Azure config",
            Self::Http => "HTTP config",
        }
    }
}

const CLIENT_KEYS: &[&str] = &[
    "allow_http",
    "allow_invalid_certificates",
    "connect_timeout",
    "default_content_type",
    "http1_only",
    "http2_only",
    "http2_keep_alive_interval",
    "http2_keep_alive_timeout",
    "http2_keep_alive_while_idle",
    "http2_max_frame_size",
    "pool_idle_timeout",
    "pool_max_idle_per_host",
    "proxy_url",
    "proxy_ca_certificate",
    "proxy_excludes",
    "randomize_addresses",
    "read_timeout",
    "disable_system_certificates",
    "timeout",
    "user_agent",
];

fn unknown_key(kind: &str, key: &str, accepted: &[&str]) -> Error {
    Error::InvalidOption(format!(
        "unknown {kind} option {key:?} (accepted: {})",
        accepted.join(", ")
    ))
}

/// Whether `scheme` is one a cloud store is declared with.
#[must_use]
pub fn is_cloud_scheme(scheme: &str) -> bool {
    matches!(
        scheme,
        "s3" | "s3a" | "gs" | "az" | "adl" | "azure" | "abfs" | "abfss" | "http" | "https"
    )
}

impl CloudDecl {
    /// The service and the prefix inside the bucket/container (for HTTP, the URL path).
    ///
    /// # Errors
    /// [`Error::InvalidPath`] for a URL that names no store.
    pub fn parse_url(&self) -> Result<(Service, Url, String)> {
        let invalid = |reason: String| Error::InvalidPath {
            path: Redactor::redact_url(&self.url),
            reason,
        };
        let url = Url::parse(&self.url).map_err(|e| invalid(e.to_string()))?;
        let (scheme, path) = ObjectStoreScheme::parse(&url).map_err(|e| invalid(e.to_string()))?;
        let service = match scheme {
            ObjectStoreScheme::AmazonS3 => Service::S3,
            ObjectStoreScheme::GoogleCloudStorage => Service::Gcs,
            ObjectStoreScheme::MicrosoftAzure => Service::Azure,
            ObjectStoreScheme::Http => Service::Http,
            _ => return Err(invalid("not a cloud store URL".into())),
        };
        Ok((service, url, path.as_ref().to_string()))
    }

    /// Secret values to keep out of messages: credential-like options, and the URL's password
    /// and query values.
    #[must_use]
    pub fn redactor(&self) -> Redactor {
        let mut secrets: Vec<String> = self
            .config
            .iter()
            .chain(&self.client_options)
            .filter(|(k, _)| Redactor::is_secret_name(k))
            .map(|(_, v)| v.clone())
            .collect();
        secrets.extend(Redactor::url_secrets(&self.url));
        Redactor::new(secrets)
    }

    /// The S3 builder: the environment, then the declared options. Unless either chooses, PUT
    /// bodies are hashed into the request signature only over plain HTTP: over HTTPS the
    /// signature says `UNSIGNED-PAYLOAD`, as boto3 does for S3, since TLS already protects the
    /// body, and hashing every body costs ~15% of a large write's time (benches/README.md).
    fn s3_builder(&self, url: &url::Url, keys: &[&str]) -> Result<AmazonS3Builder> {
        let mut b = AmazonS3Builder::from_env().with_url(url.as_str());
        let mut chose_signing = std::env::var_os("AWS_UNSIGNED_PAYLOAD").is_some();
        for (k, v) in &self.config {
            let key = AmazonS3ConfigKey::from_str(&k.to_ascii_lowercase())
                .map_err(|_| unknown_key("S3 config", k, keys))?;
            chose_signing |= key == AmazonS3ConfigKey::UnsignedPayload;
            b = b.with_config(key, v);
        }
        if !chose_signing {
            // No endpoint: AWS itself, over HTTPS.
            let https = b
                .get_config_value(&AmazonS3ConfigKey::Endpoint)
                .is_none_or(|e| e.to_ascii_lowercase().starts_with("https://"));
            b = b.with_config(AmazonS3ConfigKey::UnsignedPayload, https.to_string());
        }
        Ok(b)
    }

    /// Build the object store this declaration describes (no I/O): reads and writes go
    /// through two clients, with different timeouts (see [`super::timeouts`]).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for unknown or malformed options, or settings the builder
    /// refuses (with every option value left out of the message).
    pub fn build(&self) -> Result<Arc<dyn ObjectStore>> {
        Ok(Arc::new(ReadsAndWrites {
            reads: self.build_for(Purpose::Reads)?,
            writes: self.build_for(Purpose::Writes)?,
        }))
    }

    /// The client settings of a client serving `purpose`: the declared ones, with
    /// `read_timeout` (declared or default) for reads only.
    fn client_for(&self, purpose: Purpose) -> Result<Vec<(ClientConfigKey, String)>> {
        let mut client = client_keys(&self.client_options)?;
        let declared = client
            .iter()
            .position(|(k, _)| *k == ClientConfigKey::ReadTimeout);
        match (purpose, declared) {
            (Purpose::Writes, Some(i)) => {
                client.remove(i);
            }
            (Purpose::Reads, None) => {
                client.push((ClientConfigKey::ReadTimeout, READ_TIMEOUT.to_string()));
            }
            _ => {}
        }
        Ok(client)
    }

    /// Every option value (and the URL's secrets), to keep out of builder errors.
    fn value_redactor(&self) -> Redactor {
        let mut values: Vec<String> = self
            .config
            .values()
            .chain(self.client_options.values())
            .cloned()
            .collect();
        values.extend(Redactor::url_secrets(&self.url));
        Redactor::new(values)
    }

    fn build_for(&self, purpose: Purpose) -> Result<Arc<dyn ObjectStore>> {
        let (service, url, prefix) = self.parse_url()?;
        let client = self.client_for(purpose)?;
        let retry = Some(
            self.retry
                .as_ref()
                .map_or_else(RetrySpec::default_config, RetrySpec::to_config),
        );
        let redactor = self.value_redactor();
        let built = |r: object_store::Result<Arc<dyn ObjectStore>>| {
            r.map_err(|e| {
                Error::InvalidOption(format!(
                    "the store settings were refused: {}",
                    redactor.redact(&e.to_string())
                ))
            })
        };
        let keys = service.config_keys();
        let store: Arc<dyn ObjectStore> = match service {
            Service::S3 => {
                let mut b = self.s3_builder(&url, keys)?;
                // Merged key by key: `with_client_options` would drop what `from_env` read.
                for (key, value) in &client {
                    b = b.with_config(AmazonS3ConfigKey::Client(*key), value);
                }
                if let Some(r) = retry {
                    b = b.with_retry(r);
                }
                built(b.build().map(|s| Arc::new(s) as _))?
            }
            Service::Gcs => {
                let mut b = GoogleCloudStorageBuilder::from_env().with_url(url.as_str());
                for (k, v) in &self.config {
                    let key = GoogleConfigKey::from_str(&k.to_ascii_lowercase())
                        .map_err(|_| unknown_key("GCS config", k, keys))?;
                    b = b.with_config(key, v);
                }
                // Merged key by key: `with_client_options` would drop what `from_env` read.
                for (key, value) in &client {
                    b = b.with_config(GoogleConfigKey::Client(*key), value);
                }
                if let Some(r) = retry {
                    b = b.with_retry(r);
                }
                built(b.build().map(|s| Arc::new(s) as _))?
            }
            Service::Azure => {
                let mut b = MicrosoftAzureBuilder::from_env().with_url(url.as_str());
                for (k, v) in &self.config {
                    let key = AzureConfigKey::from_str(&k.to_ascii_lowercase())
                        .map_err(|_| unknown_key("Azure config", k, keys))?;
                    b = b.with_config(key, v);
                }
                // Merged key by key: `with_client_options` would drop what `from_env` read.
                for (key, value) in &client {
                    b = b.with_config(AzureConfigKey::Client(*key), value);
                }
                if let Some(r) = retry {
                    b = b.with_retry(r);
                }
                built(b.build().map(|s| Arc::new(s) as _))?
            }
            Service::Http => {
                if let Some(k) = self.config.keys().next() {
                    return Err(unknown_key("HTTP config", k, &[]));
                }
                // Root the client at the origin and apply the path as a prefix: listings from an
                // HttpStore based below the origin come back relative to the origin.
                let mut origin = url.clone();
                origin.set_path("/");
                origin.set_query(None);
                let mut b = HttpBuilder::new().with_url(origin.as_str());
                for (key, value) in &client {
                    b = b.with_config(*key, value);
                }
                if let Some(r) = retry {
                    b = b.with_retry(r);
                }
                built(b.build().map(|s| Arc::new(s) as _))?
            }
        };
        Ok(if prefix.is_empty() {
            store
        } else {
            Arc::new(PrefixStore::new(store, prefix.as_str()))
        })
    }

    /// The declaration as JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut doc = json!({
            "kind": "cloud",
            "url": self.url,
            "config": self.config,
            "client_options": self.client_options,
        });
        if let Some(r) = &self.retry {
            doc["retry_config"] = r.to_json();
        }
        doc
    }

    /// Read a declaration: `url` plus optional `config`, `client_options`, `retry_config`.
    /// Option names and values are checked here (see [`super::options`]).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for an unknown option or a value of the wrong kind (the value
    /// is never shown); [`Error::InvalidPath`] for a URL that names no store.
    pub fn from_json(value: &Value) -> Result<Self> {
        let url = value.get("url").and_then(Value::as_str).ok_or_else(|| {
            Error::InvalidOption("a cloud store declaration needs \"url\"".into())
        })?;
        let (service, _, _) = Self {
            url: url.to_string(),
            ..Self::default()
        }
        .parse_url()?;
        let retry = match value.get("retry_config") {
            None | Some(Value::Null) => None,
            Some(v) => Some(RetrySpec::from_json(v)?),
        };
        Ok(Self {
            url: url.to_string(),
            config: option_map(value.get("config"), "config", |k| {
                service.canonical_config_key(k)
            })?,
            client_options: option_map(value.get("client_options"), "client_options", |k| {
                ClientConfigKey::from_str(&k.to_ascii_lowercase())
                    .map(|key| key.as_ref().to_string())
                    .map_err(|_| unknown_key("client", k, CLIENT_KEYS))
            })?,
            retry,
        })
    }
}

/// Options as the text `object_store` takes, each checked by its kind (`canonical` names it).
fn option_map(
    value: Option<&Value>,
    what: &str,
    canonical: impl Fn(&str) -> Result<String>,
) -> Result<BTreeMap<String, String>> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let map = value
        .as_object()
        .ok_or_else(|| Error::InvalidOption(format!("{what} must be a mapping")))?;
    map.iter()
        .map(|(k, v)| Ok((k.clone(), option_text(what, k, &canonical(k)?, v)?)))
        .collect()
}

fn client_keys(options: &BTreeMap<String, String>) -> Result<Vec<(ClientConfigKey, String)>> {
    options
        .iter()
        .map(|(k, v)| {
            let key = ClientConfigKey::from_str(&k.to_ascii_lowercase())
                .map_err(|_| unknown_key("client", k, CLIENT_KEYS))?;
            Ok((key, v.clone()))
        })
        .collect()
}

const RETRY_KEYS: &[&str] = &["max_retries", "retry_timeout", "backoff"];
const BACKOFF_KEYS: &[&str] = &["init_backoff", "max_backoff", "base"];

impl RetrySpec {
    /// The retry settings of a store that declares none: `object_store`'s, except
    /// `retry_timeout` (see [`super::timeouts`]).
    fn default_config() -> RetryConfig {
        Self::default().to_config()
    }

    fn to_config(&self) -> RetryConfig {
        let defaults = RetryConfig {
            retry_timeout: RETRY_TIMEOUT,
            ..RetryConfig::default()
        };
        let secs = |s: Option<f64>, d: Duration| s.map_or(d, Duration::from_secs_f64);
        RetryConfig {
            backoff: BackoffConfig {
                init_backoff: secs(self.init_backoff, defaults.backoff.init_backoff),
                max_backoff: secs(self.max_backoff, defaults.backoff.max_backoff),
                base: self.base.unwrap_or(defaults.backoff.base),
            },
            max_retries: self.max_retries.unwrap_or(defaults.max_retries),
            retry_timeout: secs(self.retry_timeout, defaults.retry_timeout),
        }
    }

    fn to_json(&self) -> Value {
        let mut backoff = Map::new();
        for (k, v) in [
            ("init_backoff", self.init_backoff),
            ("max_backoff", self.max_backoff),
            ("base", self.base),
        ] {
            if let Some(v) = v {
                backoff.insert(k.into(), json!(v));
            }
        }
        let mut doc = Map::new();
        if let Some(n) = self.max_retries {
            doc.insert("max_retries".into(), json!(n));
        }
        if let Some(t) = self.retry_timeout {
            doc.insert("retry_timeout".into(), json!(t));
        }
        if !backoff.is_empty() {
            doc.insert("backoff".into(), Value::Object(backoff));
        }
        Value::Object(doc)
    }

    fn from_json(value: &Value) -> Result<Self> {
        let bad = |what: &str| Error::InvalidOption(format!("retry_config: {what}"));
        let map = value.as_object().ok_or_else(|| bad("must be a mapping"))?;
        if let Some(k) = map.keys().find(|k| !RETRY_KEYS.contains(&k.as_str())) {
            return Err(unknown_key("retry_config", k, RETRY_KEYS));
        }
        let seconds = |m: &Map<String, Value>, k: &str| -> Result<Option<f64>> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_f64()
                    .filter(|s| *s >= 0.0 && s.is_finite())
                    .map(Some)
                    .ok_or_else(|| bad(&format!("{k} must be a non-negative number of seconds"))),
            }
        };
        let backoff = match map.get("backoff") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(b)) => b.clone(),
            Some(_) => return Err(bad("backoff must be a mapping")),
        };
        if let Some(k) = backoff.keys().find(|k| !BACKOFF_KEYS.contains(&k.as_str())) {
            return Err(unknown_key("retry_config.backoff", k, BACKOFF_KEYS));
        }
        let max_retries = match map.get("max_retries") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| bad("max_retries must be a non-negative integer"))?,
            ),
        };
        Ok(Self {
            max_retries,
            retry_timeout: seconds(map, "retry_timeout")?,
            init_backoff: seconds(&backoff, "init_backoff")?,
            max_backoff: seconds(&backoff, "max_backoff")?,
            base: seconds(&backoff, "base")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{CloudDecl, Purpose, RetrySpec, Service, READ_TIMEOUT, RETRY_TIMEOUT};
    use serde_json::json;

    #[allow(clippy::needless_pass_by_value)] // reads better with json! literals
    fn decl(v: serde_json::Value) -> CloudDecl {
        CloudDecl::from_json(&v).unwrap()
    }

    #[test]
    fn s3_bodies_are_signed_over_http_only_unless_chosen() {
        use object_store::aws::AmazonS3ConfigKey::UnsignedPayload;
        let unsigned = |config: serde_json::Value| {
            let d = decl(json!({"url": "s3://bucket/p", "config": config}));
            let (_, url, _) = d.parse_url().unwrap();
            let b = d.s3_builder(&url, &[]).unwrap();
            b.get_config_value(&UnsignedPayload).unwrap()
        };
        if std::env::var_os("AWS_UNSIGNED_PAYLOAD").is_some() {
            return; // the environment chose
        }
        assert_eq!(unsigned(json!({})), "true");
        assert_eq!(
            unsigned(json!({"endpoint": "https://minio.example"})),
            "true"
        );
        assert_eq!(
            unsigned(json!({"endpoint": "http://127.0.0.1:9000"})),
            "false"
        );
        let chosen = json!({"endpoint": "http://127.0.0.1:9000", "unsigned_payload": "true"});
        assert_eq!(unsigned(chosen), "true");
        let chosen = json!({"endpoint": "https://s3.example", "aws_unsigned_payload": false});
        assert_eq!(unsigned(chosen), "false");
    }

    #[test]
    fn urls_name_their_service_and_prefix() {
        for (url, service, prefix) in [
            ("s3://bucket/a/b", Service::S3, "a/b"),
            ("s3a://bucket", Service::S3, ""),
            ("gs://bucket/p", Service::Gcs, "p"),
            ("az://container/p", Service::Azure, "p"),
            (
                "abfss://container@account.dfs.core.windows.net/p",
                Service::Azure,
                "p",
            ),
            (
                "https://bucket.s3.us-east-1.amazonaws.com/p",
                Service::S3,
                "p",
            ),
            (
                "https://account.blob.core.windows.net/container/p",
                Service::Azure,
                "p",
            ),
            (
                "https://acct.r2.cloudflarestorage.com/bucket/p",
                Service::S3,
                "p",
            ),
            ("https://example.com/data", Service::Http, "data"),
        ] {
            let (s, _, p) = decl(json!({"url": url})).parse_url().unwrap();
            assert_eq!((s, p.as_str()), (service, prefix), "{url}");
        }
    }

    #[test]
    fn unknown_options_list_the_accepted_keys_without_values() {
        let refused = |v: serde_json::Value| CloudDecl::from_json(&v).unwrap_err().to_string();
        let msg = refused(json!({"url": "s3://b", "config": {"regoin": "SECRETVALUE"}}));
        assert!(
            msg.contains("\"regoin\"") && msg.contains("aws_region"),
            "{msg}"
        );
        assert!(!msg.contains("SECRETVALUE"), "{msg}");
        let msg = refused(json!({"url": "s3://b", "client_options": {"timeuot": "1s"}}));
        assert!(msg.contains("connect_timeout"), "{msg}");
        let msg = refused(json!({"url": "s3://b", "retry_config": {"retries": 1}}));
        assert!(msg.contains("max_retries"), "{msg}");
    }

    #[test]
    fn malformed_values_are_invalid_options_that_do_not_echo_them() {
        for doc in [
            json!({"url": "s3://b", "client_options": {"timeout": "SECRETVALUE"}}),
            json!({"url": "s3://b", "region": 5, "config": {"region": 5}}),
            json!({"url": "gs://b", "config": {"skip_signature": "SECRETVALUE"}}),
            json!({"url": "https://h/p", "client_options": {"allow_http": 1}}),
        ] {
            let err = CloudDecl::from_json(&doc).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, crate::Error::InvalidOption(_)), "{msg}");
            assert!(!msg.contains("SECRETVALUE"), "{msg}");
        }
        // A value the builder refuses (an enum it parses itself) is an option error too.
        let d = decl(json!({"url": "s3://b", "config": {"checksum_algorithm": "SECRETVALUE"}}));
        let err = d.build().err().unwrap();
        assert!(matches!(err, crate::Error::InvalidOption(_)), "{err}");
        assert!(!err.to_string().contains("SECRETVALUE"), "{err}");
    }

    #[test]
    fn reads_get_a_read_timeout_and_writes_do_not() {
        use object_store::ClientConfigKey::ReadTimeout;
        let d = decl(json!({"url": "s3://b"}));
        let reads = d.client_for(Purpose::Reads).unwrap();
        assert!(
            reads.contains(&(ReadTimeout, READ_TIMEOUT.to_string())),
            "{reads:?}"
        );
        assert!(d.client_for(Purpose::Writes).unwrap().is_empty());
        let d = decl(json!({"url": "s3://b", "client_options": {"read_timeout": "3s"}}));
        assert_eq!(
            d.client_for(Purpose::Reads).unwrap(),
            [(ReadTimeout, "3s".to_string())]
        );
        assert!(d.client_for(Purpose::Writes).unwrap().is_empty());
        assert_eq!(RetrySpec::default_config().retry_timeout, RETRY_TIMEOUT);
    }

    #[test]
    fn builds_offline_and_round_trips_as_json() {
        let d = decl(json!({
            "url": "gs://bucket/prefix",
            "config": {"google_service_account_key": "{}", "skip_signature": true},
            "client_options": {"timeout": "5s"},
            "retry_config": {"max_retries": 2, "backoff": {"base": 2.0}}
        }));
        assert_eq!(CloudDecl::from_json(&d.to_json()).unwrap(), d);
        let azure = decl(json!({"url": "az://c/p", "config": {"account_name": "acct",
            "skip_signature": "true"}}));
        assert!(azure.build().is_ok());
    }
}
