//! `Store`: a store declaration rebuilt in Rust.

use pyo3::prelude::*;
use zarrbridge_core::{Store, StoreDecl};

use pyo3_object_store::PyObjectStore;

use crate::errors::{check, to_pyerr};

fn parse_declaration(text: &str) -> PyResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        to_pyerr(zarrbridge_core::Error::InvalidOption(format!(
            "store declaration is not JSON: {e}"
        )))
    })
}

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
    /// Build a store from a URL (`file:///dir`, `memory://name`, `s3://bucket/prefix`, ...)
    /// or a plain path, with obstore-style options (`{"config": ..., "client_options": ...,
    /// "retry_config": ...}` as JSON).
    #[staticmethod]
    #[pyo3(signature = (url, options_json=None))]
    fn from_url(url: &str, options_json: Option<&str>) -> PyResult<Self> {
        let options = match options_json {
            Some(text) => parse_declaration(text)?,
            None => serde_json::Value::Null,
        };
        let decl = check(StoreDecl::from_url_with_options(url, &options))?;
        Ok(Self {
            inner: check(Store::new(decl))?,
        })
    }

    /// Use a store object built by this module's `store` builders (its connection pool is
    /// shared), described by `decl_json` for pickling and display.
    #[staticmethod]
    fn from_object_store(object_store: PyObjectStore, decl_json: &str) -> PyResult<Self> {
        let decl = check(StoreDecl::from_json(&parse_declaration(decl_json)?))?;
        Ok(Self {
            inner: Store::with_object_store(decl, object_store.into_dyn()),
        })
    }

    /// A store over a Python object implementing the async store family (`asynchronous`) or
    /// the sync one; `label` names it in messages.
    #[staticmethod]
    fn from_python_store(
        store: &Bound<'_, PyAny>,
        asynchronous: bool,
        label: String,
    ) -> PyResult<Self> {
        let storage = if asynchronous {
            crate::pystore_async::PyAsyncStorage::storage(store)?
        } else {
            crate::pystore_sync::PySyncStorage::storage(store)?
        };
        Ok(Self {
            inner: Store::with_storage(label, storage),
        })
    }

    /// Rebuild a store from `declaration_json()`'s output.
    #[staticmethod]
    fn from_declaration(decl_json: &str) -> PyResult<Self> {
        let decl = check(StoreDecl::from_json(&parse_declaration(decl_json)?))?;
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
