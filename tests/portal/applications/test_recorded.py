"""Typed results of keyed submissions: stored under their field names, replayed as typed."""

from __future__ import annotations

import dataclasses

import pytest

from northbound.portal.applications.service import DocumentAdded, Submitted


def test_a_result_is_stored_without_replayed_and_replays_marked() -> None:
    first = Submitted(application_id="a" * 32, receipt="PR-1")
    # The stored names are the ones earlier versions wrote: a record kept before this
    # change is still read.
    assert first.stored() == {"application_id": "a" * 32, "receipt": "PR-1"}
    again = Submitted.replay(first.stored())
    assert again == dataclasses.replace(first, replayed=True)
    assert not first.replayed


def test_results_are_frozen() -> None:
    added = DocumentAdded(document_id="d", storage_key="k")
    with pytest.raises(dataclasses.FrozenInstanceError):
        added.storage_key = "other"  # type: ignore[misc]
