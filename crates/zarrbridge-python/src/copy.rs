//! `copy`: an array, or a group and everything below it, to another place.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use zarrbridge_core as core;

use crate::convert::JsonObject;
use crate::handles::{PyArrayHandle, PyGroupHandle, PyNode};
use crate::runtime::run;
use crate::store::PyStore;

#[pyfunction]
#[pyo3(signature = (source, store, path, changes, overwrite, resume, callback=None))]
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)] // the Python keywords
pub fn copy(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    store: &PyStore,
    path: String,
    changes: JsonObject,
    overwrite: bool,
    resume: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let source = if let Ok(array) = source.cast::<PyArrayHandle>() {
        core::Node::Array(array.get().inner.clone())
    } else if let Ok(group) = source.cast::<PyGroupHandle>() {
        core::Node::Group(group.get().inner.clone())
    } else {
        return Err(PyTypeError::new_err(format!(
            "copy takes an ArrayHandle or a GroupHandle, not {}",
            source.get_type().name()?
        )));
    };
    let options = core::CopyOptions {
        changes: changes.0,
        overwrite,
        resume,
    };
    let store = store.inner.clone();
    run(
        py,
        async move {
            let node = core::copy(&source, &store, &path, &options).await?;
            Ok(PyNode::from(node))
        },
        callback,
    )
}
