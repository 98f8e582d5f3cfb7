"""Quickstart: create a Zarr v3 array with zstd, write a region, read it back, list the store.

Usage: python examples/quickstart.py [DIRECTORY]   (default: a fresh temporary directory)
"""

import asyncio
import sys
import tempfile

import zarrbridge as zb


async def main(directory: str) -> None:
    """Create, write, read and list an array in the store at ``directory``."""
    store = zb.Store.from_url(directory)
    zstd = {"name": "zstd", "configuration": {"level": 3, "checksum": False}}
    array = await zb.create_array(
        store,
        "temperature",
        shape=(4, 6),
        dtype="float32",
        chunks=(2, 3),
        fill_value=-1.0,
        compressors=[zstd],
        attributes={"units": "degC"},
    )
    await zb.write_region(array, (slice(1, 3), slice(1, 5)), [[0, 1, 2, 3], [4, 5, 6, 7]])
    print(array)
    print(await zb.read_region(array))
    print("children of", store.url, "->", [child.name for child in await zb.list_children(store)])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()))
