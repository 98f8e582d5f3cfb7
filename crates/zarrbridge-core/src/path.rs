//! Node paths: normalised and validated before any I/O, so nothing can reach outside a store.

use crate::error::{Error, Result};

/// A validated node path: `""` for the root, else `/`-separated segments with no leading or
/// trailing `/`, no empty, `.` or `..` segment, and no backslash, NUL or control character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NodePath(String);

impl NodePath {
    /// The root node.
    #[must_use]
    pub fn root() -> Self {
        Self(String::new())
    }

    /// Normalise `path` like zarr-python (strip leading and trailing `/`, collapse repeated `/`)
    /// and reject anything that could escape the store or name a file the store cannot hold.
    ///
    /// # Errors
    /// [`Error::InvalidPath`] naming the offending part.
    pub fn parse(path: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidPath {
            path: path.to_string(),
            reason: reason.to_string(),
        };
        if path.contains('\\') {
            return Err(invalid("backslashes are not allowed"));
        }
        if path.chars().any(char::is_control) {
            return Err(invalid(
                "control characters (including NUL) are not allowed",
            ));
        }
        let mut segments = Vec::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if segment == "." || segment == ".." {
                return Err(invalid("'.' and '..' segments are not allowed"));
            }
            segments.push(segment);
        }
        Ok(Self(segments.join("/")))
    }

    /// The path as a string (`""` for the root).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root node.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The store key of a file directly below this node (`name` must be a plain key name).
    #[must_use]
    pub fn key(&self, name: &str) -> String {
        if self.is_root() {
            name.to_string()
        } else {
            format!("{}/{name}", self.0)
        }
    }

    /// The store prefix holding everything below this node (`""` or ending in `/`).
    #[must_use]
    pub fn prefix(&self) -> String {
        if self.is_root() {
            String::new()
        } else {
            format!("{}/", self.0)
        }
    }

    /// The child node `name` of this node.
    ///
    /// # Errors
    /// [`Error::InvalidPath`] if `name` is not a valid path.
    pub fn join(&self, name: &str) -> Result<Self> {
        Self::parse(&self.key(name))
    }

    /// Every proper ancestor, root first (the root's list is empty).
    #[must_use]
    pub fn ancestors(&self) -> Vec<NodePath> {
        if self.is_root() {
            return Vec::new();
        }
        let segments: Vec<&str> = self.0.split('/').collect();
        (0..segments.len())
            .map(|n| Self(segments[..n].join("/")))
            .collect()
    }

    /// The last segment (`""` for the root).
    #[must_use]
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
}

impl std::fmt::Display for NodePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_root() {
            f.write_str("/")
        } else {
            write!(f, "/{}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NodePath;

    #[test]
    fn normalises_slashes() {
        assert_eq!(NodePath::parse("/a//b/").unwrap().as_str(), "a/b");
        assert_eq!(NodePath::parse("").unwrap().as_str(), "");
        assert_eq!(NodePath::parse("/").unwrap().as_str(), "");
    }

    #[test]
    fn rejects_escapes_and_control_characters() {
        for bad in [
            "..", "a/../b", ".", "a/./b", "a\\b", "a\0b", "a\x01b", "a\nb",
        ] {
            assert!(NodePath::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn ancestors_root_first() {
        let p = NodePath::parse("a/b/c").unwrap();
        let names: Vec<_> = p
            .ancestors()
            .iter()
            .map(|a| a.as_str().to_string())
            .collect();
        assert_eq!(names, ["", "a", "a/b"]);
        assert_eq!(p.name(), "c");
        assert_eq!(p.key("zarr.json"), "a/b/c/zarr.json");
        assert_eq!(NodePath::root().key("zarr.json"), "zarr.json");
    }
}
