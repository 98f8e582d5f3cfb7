"""Every case of ``tests/hostile_cases.py`` raises a typed error from ``zarrbridge.errors`` (of
the class it names, with the method or field it names in the message), shows no secret, and
leaves the store byte for byte as it was (cases that corrupt data on purpose compare after the
corruption). ``scripts/hostile_census.py`` runs the same cases for the published counts."""

from __future__ import annotations

import pytest
from hostile_cases import CASES, SECRET, Case, Env
from zarrbridge.errors import ZarrBridgeError


def chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    while error is not None and error not in found:
        found.append(error)
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return found


@pytest.mark.parametrize("case", CASES, ids=[f"{c.group}: {c.name}" for c in CASES])
def test_a_bad_input_raises_a_typed_error_and_changes_nothing(
    case: Case, request: pytest.FixtureRequest
) -> None:
    env = Env(request.node.name.replace("/", "_")[:60] + str(id(case)))
    if case.prepare is not None:
        case.prepare(env)
    before = env.snapshot()
    with pytest.raises(ZarrBridgeError) as info:
        case.call(env)
    assert isinstance(info.value, case.expect), repr(info.value)
    assert case.message in str(info.value), str(info.value)
    for e in chain(info.value):
        assert SECRET not in str(e) and SECRET not in repr(e), repr(e)
    assert env.snapshot() == before
