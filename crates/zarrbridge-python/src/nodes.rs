//! Node functions: create, open, read metadata, list, delete, update attributes.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use serde_json::{Map, Value};
use zarrbridge_core as core;

use crate::errors::{check, to_pyerr};
use crate::handles::{PyArrayHandle, PyGroupHandle, PyNode};
use crate::runtime::run;
use crate::store::PyStore;

fn parse_json(what: &str, text: &str) -> PyResult<Value> {
    check(
        serde_json::from_str(text)
            .map_err(|e| core::Error::metadata(format!("{what} is not valid JSON: {e}"))),
    )
}

fn parse_object(what: &str, text: &str) -> PyResult<Map<String, Value>> {
    match parse_json(what, text)? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(to_pyerr(core::Error::metadata(format!(
            "{what} must be a JSON object"
        )))),
    }
}

/// Make an array handle from explicit metadata, with no I/O.
#[pyfunction]
pub fn array_from_metadata(
    store: &PyStore,
    path: &str,
    metadata_json: &str,
) -> PyResult<PyArrayHandle> {
    let doc = parse_json("array metadata", metadata_json)?;
    let path = check(core::NodePath::parse(path))?;
    Ok(PyArrayHandle {
        inner: check(core::ArrayHandle::from_metadata(
            store.inner.clone(),
            path,
            doc,
        ))?,
    })
}

#[pyfunction]
#[pyo3(signature = (store, path, spec_json, overwrite, callback=None))]
pub fn create_array(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    spec_json: &str,
    overwrite: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let spec = parse_json("array spec", spec_json)?;
    let store = store.inner.clone();
    run(
        py,
        async move {
            let inner = core::create_array(&store, &path, &spec, overwrite).await?;
            Ok(PyArrayHandle { inner })
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, attributes_json, zarr_format, overwrite, callback=None))]
pub fn create_group(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    attributes_json: &str,
    zarr_format: u8,
    overwrite: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let attributes = parse_object("attributes", attributes_json)?;
    let store = store.inner.clone();
    run(
        py,
        async move {
            let inner =
                core::create_group(&store, &path, attributes, zarr_format, overwrite).await?;
            Ok(PyGroupHandle { inner })
        },
        callback,
    )
}

store_function!(
    /// Open the array at `path`.
    open_array,
    |store, path| Ok(PyArrayHandle { inner: core::open_array(&store, &path).await? })
);

store_function!(
    /// Open the group at `path`.
    open_group,
    |store, path| Ok(PyGroupHandle { inner: core::open_group(&store, &path).await? })
);

store_function!(
    /// Open the array or group at `path`.
    open_node,
    |store, path| core::open_node(&store, &path).await.map(PyNode::from)
);

store_function!(
    /// The metadata document at `path`, as JSON.
    read_metadata,
    |store, path| Ok(core::read_metadata(&store, &path).await?.to_string())
);

store_function!(
    /// The arrays and groups directly below `path`.
    list_children,
    |store, path| {
        let nodes = core::list_children(&store, &path).await?;
        Ok(nodes.into_iter().map(PyNode::from).collect::<Vec<_>>())
    }
);

store_function!(
    /// Delete the node at `path` and everything below it.
    delete_node,
    |store, path| core::delete_node(&store, &path).await
);

#[pyfunction]
#[pyo3(signature = (handle, attributes_json, callback=None))]
pub fn update_attributes(
    py: Python<'_>,
    handle: &Bound<'_, PyAny>,
    attributes_json: &str,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let attributes = parse_object("attributes", attributes_json)?;
    let (store, path, write_empty) = if let Ok(a) = handle.cast::<PyArrayHandle>() {
        let a = &a.get().inner;
        (
            a.store().clone(),
            a.path().clone(),
            Some(a.write_empty_chunks()),
        )
    } else if let Ok(g) = handle.cast::<PyGroupHandle>() {
        let g = &g.get().inner;
        (g.store().clone(), g.path().clone(), None)
    } else {
        return Err(PyTypeError::new_err(
            "expected an ArrayHandle or a GroupHandle",
        ));
    };
    run(
        py,
        async move {
            let node = core::update_attributes(&store, &path, attributes).await?;
            Ok(match (node, write_empty) {
                (core::Node::Array(a), Some(flag)) => PyNode::Array(PyArrayHandle {
                    inner: a.with_write_empty_chunks(flag),
                }),
                (node, _) => PyNode::from(node),
            })
        },
        callback,
    )
}
