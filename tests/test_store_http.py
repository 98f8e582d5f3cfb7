"""HTTP stores against a real WebDAV server (wsgidav, in its own process): read what
zarr-python wrote to the server's directory, and the full read/write CRUD suite over WebDAV."""

from __future__ import annotations

import numpy as np
import pytest
import zarr
import zarr.storage
import zarrbridge as zb
from servers import WebDavServer
from zarrbridge import sync as zbs
from zarrbridge.errors import NodeNotFoundError


def http_store(url: str) -> zb.Store:
    return zb.Store.from_url(url, client_options={"allow_http": True})


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_reads_over_http_what_zarr_python_wrote(
    webdav_server: WebDavServer, zarr_format: int
) -> None:
    url, local = webdav_server.new_dir()
    data = np.arange(50, dtype="float32").reshape(5, 10)
    theirs = zarr.create_array(
        zarr.storage.LocalStore(local),
        name="grp/a",
        shape=(5, 10),
        chunks=(2, 4),
        dtype="float32",
        zarr_format=zarr_format,
        fill_value=-1.0,
    )
    theirs[:] = data
    store = http_store(url)
    ours = zbs.open_array(store, "grp/a")
    np.testing.assert_array_equal(zbs.read_region(ours), data)
    np.testing.assert_array_equal(zbs.read_region(ours, (slice(None, None, -2), 3)), data[::-2, 3])
    assert [c.path for c in zbs.list_children(store, "grp")] == ["grp/a"]


def test_crud_suite_over_webdav(webdav_server: WebDavServer) -> None:
    url, local = webdav_server.new_dir()
    store = http_store(url + "/nested/root")  # parent collections are created as needed
    zbs.create_group(store, "", attributes={"k": 1})
    arr = zbs.create_array(store, "g/a", shape=(9, 9), chunks=(2, 2), dtype="int16", shards=(4, 4))
    data = np.arange(81, dtype="int16").reshape(9, 9)
    zbs.write_region(arr, ..., data)  # many concurrent puts into new collections
    np.testing.assert_array_equal(zbs.read_region(arr), data)

    theirs = zarr.open_array(zarr.storage.LocalStore(local / "nested" / "root"), path="g/a")
    np.testing.assert_array_equal(theirs[...], data)

    zbs.update_attributes(arr, {"units": "m"})
    assert zbs.read_metadata(store, "g/a")["attributes"] == {"units": "m"}
    assert [c.path for c in zbs.list_children(store)] == ["g"]
    zbs.delete_node(store, "g")
    with pytest.raises(NodeNotFoundError):
        zbs.open_array(store, "g/a")
    assert not (local / "nested" / "root" / "g" / "a" / "zarr.json").exists()
