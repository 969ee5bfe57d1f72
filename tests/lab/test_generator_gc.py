"""The generator does no full garbage collection while a crowd runs (its pauses made whole
runs invalid), still collects the young generations, and cleans up once the crowd is done."""

from __future__ import annotations

import gc
from typing import Any

from northbound.lab.crowd import young_collections_only


class Node:
    """A reference cycle: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_no_full_collection_while_the_crowd_runs_and_one_after() -> None:
    collected: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop":
            collected.append(info["generation"])

    before = gc.get_threshold()
    kept = []
    gc.callbacks.append(note)
    try:
        with young_collections_only():
            collected.clear()  # the clean start is a full collection, on purpose
            for round_ in range(300):
                kept.append([Node() for _ in range(500)])  # a heap that keeps growing
                if round_ % 3:
                    kept.pop(0)  # ...and garbage cycles that survive a young collection
            during = list(collected)
            assert gc.get_threshold()[:2] == before[:2]
        after = list(collected[len(during) :])
    finally:
        gc.callbacks.remove(note)
    assert during and 2 not in during  # young collections ran, no full one
    assert 2 in after  # the garbage left from the run is collected when it ends
    assert gc.get_threshold() == before
