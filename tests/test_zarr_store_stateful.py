"""zarr-python's own stateful test machines hold ``zarrbridge.zarr.ZarrStore`` to zarr-python's
store contract, step by step against zarr-python's ``MemoryStore`` as the model: key I/O with
random byte ranges (ranges past the end of a value give no bytes), listings after deletes
(a file store keeps no empty directory behind), hierarchies of groups and arrays created,
written and deleted in random orders.

Settings are bounded so that the four runs take well under two minutes together; run more
examples by hand with ``ZARRBRIDGE_STATEFUL_EXAMPLES=500``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
from zarr.testing.stateful import ZarrHierarchyStateMachine, ZarrStoreStateMachine
from zarrbridge.zarr import ZarrStore

EXAMPLES = int(os.environ.get("ZARRBRIDGE_STATEFUL_EXAMPLES", "25"))

BOUNDED = settings(
    max_examples=EXAMPLES,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)


def zarr_store(kind: str, tmp_path: Path) -> ZarrStore:
    if kind == "memory":
        return ZarrStore(f"memory://stateful-{uuid.uuid4().hex}")
    return ZarrStore(str(tmp_path / "store"))


MACHINES: dict[str, Callable[[ZarrStore], RuleBasedStateMachine]] = {
    "store": ZarrStoreStateMachine,
    "hierarchy": ZarrHierarchyStateMachine,
}


@pytest.mark.parametrize("machine", sorted(MACHINES))
@pytest.mark.parametrize("kind", ["memory", "file"])
def test_zarr_python_state_machine_passes_on_zarr_store(
    machine: str, kind: str, tmp_path: Path
) -> None:
    store = zarr_store(kind, tmp_path)
    run_state_machine_as_test(lambda: MACHINES[machine](store), settings=BOUNDED)
