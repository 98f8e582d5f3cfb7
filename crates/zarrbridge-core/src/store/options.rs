//! Cloud store option values, checked by kind when a declaration is read.
//!
//! `object_store` takes every option as text and parses it only when the store is built, with
//! an error that quotes the value (which may be a secret) and that is no different from a
//! failing store. Here each option has a kind (text, flag, duration, count) decided by its
//! canonical name, and a value of the wrong kind or form is an [`Error::InvalidOption`] naming
//! the option and what it needs, never the value. `region=5` is refused: a number is no text.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Flag,
    Duration,
    Count,
}

/// Options `object_store` parses as booleans, by canonical name.
const FLAGS: &[&str] = &[
    "allow_http",
    "allow_invalid_certificates",
    "disable_system_certificates",
    "http1_only",
    "http2_only",
    "http2_keep_alive_while_idle",
    "randomize_addresses",
    "aws_imdsv1_fallback",
    "aws_virtual_hosted_style_request",
    "aws_s3_express",
    "aws_unsigned_payload",
    "aws_skip_signature",
    "aws_disable_tagging",
    "aws_disable_bulk_delete",
    "aws_request_payer",
    "aws_sse_bucket_key_enabled",
    "google_skip_signature",
    "azure_storage_use_emulator",
    "azure_use_fabric_endpoint",
    "azure_use_azure_cli",
    "azure_skip_signature",
    "azure_disable_tagging",
];

/// Options `object_store` parses as durations (`"30s"`, `"1500ms"`, `"2m"`).
const DURATIONS: &[&str] = &[
    "connect_timeout",
    "timeout",
    "read_timeout",
    "pool_idle_timeout",
    "http2_keep_alive_interval",
    "http2_keep_alive_timeout",
];

/// Options `object_store` parses as unsigned integers, with their largest value.
const COUNTS: &[(&str, u64)] = &[
    ("pool_max_idle_per_host", u64::MAX),
    ("http2_max_frame_size", u32::MAX as u64),
];

fn kind(canonical: &str) -> Kind {
    if FLAGS.contains(&canonical) {
        Kind::Flag
    } else if DURATIONS.contains(&canonical) {
        Kind::Duration
    } else if COUNTS.iter().any(|(n, _)| *n == canonical) {
        Kind::Count
    } else {
        Kind::Text
    }
}

/// `object_store`'s reading of a flag.
fn flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" | "y" => Some(true),
        "0" | "false" | "off" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// `object_store`'s reading of a duration.
pub(crate) fn duration(text: &str) -> Option<Duration> {
    humantime::parse_duration(text).ok()
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The text `object_store` takes for option `name` (canonical name `canonical`) of `group`
/// (`config`, `client_options`), given as `value`.
///
/// # Errors
/// [`Error::InvalidOption`] naming the option and the kind it needs, never the value.
pub(crate) fn option_text(
    group: &str,
    name: &str,
    canonical: &str,
    value: &Value,
) -> Result<String> {
    let kind = kind(canonical);
    let refused = |needs: &str| {
        let given = match value {
            Value::String(_) => "a string that is not one".to_string(),
            other => type_name(other).to_string(),
        };
        Error::InvalidOption(format!(
            "{group} option {name:?} must be {needs}, not {given} (the value is not shown: it \
             may be a secret)"
        ))
    };
    let count = || {
        let most = COUNTS
            .iter()
            .find(|(n, _)| *n == canonical)
            .map_or(u64::MAX, |(_, most)| *most);
        let n = match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        n.filter(|n| *n <= most)
    };
    match (kind, value) {
        (Kind::Flag, Value::Bool(b)) => Ok(b.to_string()),
        (Kind::Flag, Value::String(s)) if flag(s).is_some() => Ok(s.clone()),
        (Kind::Flag, _) => Err(refused("a boolean")),
        (Kind::Duration, Value::String(s)) if duration(s).is_some() => Ok(s.clone()),
        (Kind::Duration, _) => Err(refused(
            "a duration such as \"30s\" or \"1500ms\" (or a datetime.timedelta)",
        )),
        (Kind::Count, _) => count()
            .map(|n| n.to_string())
            .ok_or_else(|| refused("a non-negative integer")),
        (Kind::Text, Value::String(s)) => Ok(s.clone()),
        (Kind::Text, _) => Err(refused("a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::option_text;
    use serde_json::json;

    #[test]
    fn values_are_checked_by_kind_and_never_echoed() {
        let ok = |name: &str, v: serde_json::Value| option_text("config", name, name, &v).unwrap();
        assert_eq!(ok("aws_region", json!("eu-west-1")), "eu-west-1");
        assert_eq!(ok("allow_http", json!(true)), "true");
        assert_eq!(ok("allow_http", json!("yes")), "yes");
        assert_eq!(ok("timeout", json!("1500ms")), "1500ms");
        assert_eq!(ok("pool_max_idle_per_host", json!(8)), "8");
        for (name, value) in [
            ("aws_region", json!(5)),
            ("allow_http", json!("SECRETVALUE")),
            ("timeout", json!("SECRETVALUE")),
            ("timeout", json!(30)),
            ("pool_max_idle_per_host", json!(-1)),
            ("http2_max_frame_size", json!(1u64 << 40)),
        ] {
            let err = option_text("config", name, name, &value).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, crate::Error::InvalidOption(_)), "{text}");
            assert!(
                text.contains(name) && !text.contains("SECRETVALUE"),
                "{text}"
            );
        }
    }
}
