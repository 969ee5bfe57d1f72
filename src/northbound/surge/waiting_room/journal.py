"""The tick journal: what the room read and decided on every tick, one JSON line each.

Off by default (``WaitingRoomSettings.tick_journal``). Why it exists: the room's Prometheus
gauges say where the line stands every scrape, but why a wait shown turned out wrong, or why
the line slowed while the site had room, is read from the inputs the inlet and the estimator
had tick by tick (the live line against the places waiting, the pace against the admissions,
the limit against what was in flight). An analysis of the ETA in the lab's crowds needed a
patched build for that; with the journal it is a setting, and the lab turns it on for the
protected site (``room-ticks.jsonl`` beside the crowd's ``room-visits.csv``).

Each line is one flat object of numbers (see :meth:`~.tick.Tick.journal_entry` for the
fields); instances of one room writing to one file are told apart by ``pid``. A line is
written with one ``write`` on a file opened for appending, so lines from several processes do
not interleave within a line. It is written from the tick, on the event loop: one line of a
few hundred bytes a second, to a local file, is cheaper than the tick's own store round
trip. A journal that cannot be written is given up with one warning, never the tick.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

Entry = Mapping[str, float | int | bool | str | None]


class TickJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._broken = False
        self._pid = 0  # of the process that writes (read when it opens the file)

    def write(self, entry: Entry) -> None:
        if self._broken:
            return
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8", buffering=1)
                self._pid = os.getpid()
            line = json.dumps({"pid": self._pid, **entry}, separators=(",", ":"))
            self._file.write(line + "\n")
        except (OSError, TypeError, ValueError) as error:
            self._broken = True
            log.warning("room tick journal %s not written (%s): given up", self.path, error)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
