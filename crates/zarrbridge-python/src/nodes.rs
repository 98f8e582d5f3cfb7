//! Node functions: create, open, read metadata, list, delete, update attributes; handles made
//! from explicit metadata.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use zarrbridge_core as core;
use zarrbridge_core::spec::ArraySpec;

use crate::convert::{to_json, to_python, Document, Fill, JsonObject};
use crate::errors::check;
use crate::handles::{PyArrayHandle, PyGroupHandle, PyNode};
use crate::runtime::run;
use crate::store::PyStore;

/// Make an array handle from explicit metadata, with no I/O.
#[pyfunction]
pub fn array_from_metadata(
    store: &PyStore,
    path: &str,
    metadata: Document,
) -> PyResult<PyArrayHandle> {
    let path = check(core::NodePath::parse(path))?;
    Ok(PyArrayHandle {
        inner: check(core::ArrayHandle::from_metadata(
            store.inner.clone(),
            path,
            metadata.0,
        ))?,
    })
}

/// Make a group handle from explicit metadata, with no I/O.
#[pyfunction]
pub fn group_from_metadata(
    store: &PyStore,
    path: &str,
    metadata: Document,
) -> PyResult<PyGroupHandle> {
    let path = check(core::NodePath::parse(path))?;
    Ok(PyGroupHandle {
        inner: check(core::GroupHandle::from_metadata(
            store.inner.clone(),
            path,
            metadata.0,
        ))?,
    })
}

/// The creation keywords (a dict keyed as `ArraySpec`'s fields), or `{"metadata": doc}`.
fn create_spec(spec: &Bound<'_, PyDict>) -> PyResult<core::CreateSpec> {
    if let Some(doc) = spec.get_item("metadata")? {
        return Ok(core::CreateSpec::Metadata(doc.extract::<Document>()?.0));
    }
    let keywords = spec.copy()?;
    let fill = match keywords.get_item("fill_value")? {
        Some(value) if !value.is_none() => Some(value.extract::<Fill>()?.0),
        _ => None,
    };
    keywords.del_item("fill_value").ok();
    let mut parsed = check(ArraySpec::from_json(&to_json(keywords.as_any())?))?;
    parsed.fill_value = fill;
    Ok(core::CreateSpec::Keywords(Box::new(parsed)))
}

#[pyfunction]
#[pyo3(signature = (store, path, spec, overwrite, callback=None))]
pub fn create_array(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    spec: &Bound<'_, PyDict>,
    overwrite: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let spec = create_spec(spec)?;
    let store = store.inner.clone();
    run(
        py,
        async move {
            let inner = core::create_array(&store, &path, spec, overwrite).await?;
            Ok(PyArrayHandle { inner })
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, attributes, zarr_format, overwrite, callback=None))]
pub fn create_group(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    attributes: JsonObject,
    zarr_format: u8,
    overwrite: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move {
            let inner =
                core::create_group(&store, &path, attributes.0, zarr_format, overwrite).await?;
            Ok(PyGroupHandle { inner })
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, callback=None))]
pub fn open_array(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move {
            let inner = core::open_array(&store, &path).await?;
            Ok(PyArrayHandle { inner })
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, use_consolidated, zarr_format, callback=None))]
pub fn open_group(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    use_consolidated: Option<bool>,
    zarr_format: Option<u8>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move {
            let inner = core::open_group(&store, &path, use_consolidated, zarr_format).await?;
            Ok(PyGroupHandle { inner })
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, use_consolidated, callback=None))]
pub fn open_node(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    use_consolidated: Option<bool>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move {
            core::open_node(&store, &path, use_consolidated)
                .await
                .map(PyNode::from)
        },
        callback,
    )
}

/// `open_node` of a path relative to a group, from its consolidated metadata when it has some.
#[pyfunction]
#[pyo3(signature = (group, path, use_consolidated, callback=None))]
pub fn group_open_node(
    py: Python<'_>,
    group: &PyGroupHandle,
    path: String,
    use_consolidated: Option<bool>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let group = group.inner.clone();
    run(
        py,
        async move {
            core::open_in_group(&group, &path, use_consolidated)
                .await
                .map(PyNode::from)
        },
        callback,
    )
}

/// A metadata document, converted to a dict when the result reaches Python.
pub struct Metadata(serde_json::Value);

impl<'py> IntoPyObject<'py> for Metadata {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        to_python(py, &self.0)
    }
}

#[pyfunction]
#[pyo3(signature = (store, path, callback=None))]
pub fn read_metadata(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move { core::read_metadata(&store, &path).await.map(Metadata) },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, use_consolidated, callback=None))]
pub fn list_children(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    use_consolidated: Option<bool>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move {
            let nodes = core::list_children(&store, &path, use_consolidated).await?;
            Ok(nodes.into_iter().map(PyNode::from).collect::<Vec<_>>())
        },
        callback,
    )
}

/// `list_children` of a path relative to a group, from its consolidated metadata when it has
/// some.
#[pyfunction]
#[pyo3(signature = (group, path, use_consolidated, callback=None))]
pub fn group_list_children(
    py: Python<'_>,
    group: &PyGroupHandle,
    path: String,
    use_consolidated: Option<bool>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let group = group.inner.clone();
    run(
        py,
        async move {
            let nodes = core::list_group_children(&group, &path, use_consolidated).await?;
            Ok(nodes.into_iter().map(PyNode::from).collect::<Vec<_>>())
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, callback=None))]
pub fn consolidate_metadata(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move {
            let inner = core::consolidate_metadata(&store, &path).await?;
            Ok(PyGroupHandle { inner })
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, callback=None))]
pub fn delete_node(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move { core::delete_node(&store, &path).await },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (store, path, attributes, callback=None))]
pub fn update_attributes(
    py: Python<'_>,
    store: &PyStore,
    path: String,
    attributes: JsonObject,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move {
            core::update_attributes(&store, &path, attributes.0)
                .await
                .map(PyNode::from)
        },
        callback,
    )
}
