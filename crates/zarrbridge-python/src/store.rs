//! `Store`: a store declaration rebuilt in Rust.

use pyo3::prelude::*;
use zarrbridge_core::{Store, StoreDecl};

use crate::errors::{check, to_pyerr};

/// A store rebuilt in Rust from its declaration.
#[pyclass(
    frozen,
    skip_from_py_object,
    name = "Store",
    module = "zarrbridge._native"
)]
#[derive(Clone)]
pub struct PyStore {
    pub inner: Store,
}

#[pymethods]
impl PyStore {
    /// Build a store from a URL (`file:///dir`, `memory://name`) or a plain path.
    #[staticmethod]
    fn from_url(url: &str) -> PyResult<Self> {
        Ok(Self {
            inner: check(Store::from_url(url))?,
        })
    }

    /// Rebuild a store from `declaration_json()`'s output.
    #[staticmethod]
    fn from_declaration(decl_json: &str) -> PyResult<Self> {
        let value: serde_json::Value = serde_json::from_str(decl_json).map_err(|e| {
            to_pyerr(zarrbridge_core::Error::Metadata(format!(
                "store declaration is not JSON: {e}"
            )))
        })?;
        let decl = check(StoreDecl::from_json(&value))?;
        Ok(Self {
            inner: check(Store::new(decl))?,
        })
    }

    /// The declaration as a JSON document.
    fn declaration_json(&self) -> String {
        self.inner.decl().to_json().to_string()
    }

    /// A URL naming the store (safe to show).
    #[getter]
    fn url(&self) -> String {
        self.inner.url()
    }

    fn __repr__(&self) -> String {
        format!("Store({:?})", self.inner.url())
    }
}
