"""The tick journal: one JSON line per tick with what the room read and decided, off unless
set, and never the reason a tick fails."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from northbound.surge.waiting_room import Admitted
from northbound.surge.waiting_room.memory_store import InProcessStore
from tests.support.clock import FakeClock
from tests.support.waiting_room import Visitor, make_room, switch_on, tick_and_let_in


async def test_each_tick_writes_the_line_as_it_left_it(tmp_path: Path) -> None:
    clock = FakeClock()
    journal = tmp_path / "room" / "ticks.jsonl"  # its folder is made when first written
    room = make_room(InProcessStore(), clock, tick_journal=journal)
    await switch_on(room, fixed_rate_per_minute=120)  # two a one-second tick
    visitors = [Visitor(f"v{i}") for i in range(20)]
    for visitor in visitors:
        await visitor.poll(room)
    for _ in range(2):
        clock.advance(1)
        await tick_and_let_in(room, clock)
    outcomes = [await visitor.poll(room) for visitor in visitors]
    let_in = sum(isinstance(outcome, Admitted) for outcome in outcomes)
    assert 0 < let_in < len(visitors)
    await room.stop()
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert len(entries) == 3  # switching on, then two ticks
    last = entries[-1]
    assert last["on"] is True and last["paused"] is False
    assert (last["tail"], last["serving"]) == (room.state.tail, room.state.serving)
    assert last["serving"] - entries[0]["serving"] == let_in
    assert last["tail"] - last["serving"] == len(visitors) - let_in
    assert last["pace"] == pytest.approx(2.0)
    assert [e["time"] for e in entries] == sorted(e["time"] for e in entries)
    for field in (
        "limit",
        "busy",
        "holders_busy",
        "active_holders",
        "pending",
        "per_holder",
        "live_waiting",
        "admitted_total",
        "eta_admit_rate",
        "eta_hazard",
        "pid",
    ):
        assert field in last, field  # fmt: skip


async def test_no_journal_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    room = make_room(InProcessStore(), FakeClock())
    await switch_on(room)
    await room.stop()
    assert not os.listdir(tmp_path)  # nothing written where the site runs


async def test_a_journal_that_cannot_be_written_is_given_up_not_the_tick(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    (tmp_path / "taken").write_text("a file where the journal's folder should be")
    room = make_room(InProcessStore(), clock, tick_journal=tmp_path / "taken" / "ticks.jsonl")
    await switch_on(room, fixed_rate_per_minute=60)
    visitor = Visitor("v")
    await visitor.poll(room)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            clock.advance(1)
            await tick_and_let_in(room, clock)
    assert isinstance(await visitor.poll(room), Admitted)  # the line kept moving
    assert sum("journal" in record.message for record in caplog.records) == 1  # one warning
    await room.stop()
