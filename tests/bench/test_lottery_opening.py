"""A CI-sized run of ``bench/lottery_opening.py``: nothing else runs the benchmarks, and this one
once stopped working unnoticed (its sponsors' sessions no longer looked like the site's own,
so every one of them was sent to sign in and the run measured nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "lottery_opening.py"


@pytest.mark.slow
def test_a_small_opening_runs_end_to_end() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sponsors", "120", "--seconds", "15",
         "--early-seconds", "2"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    report = json.loads(out[out.index("\n{\n") : out.index("\n}\n") + 2])
    assert report["responses500"] == 0 and report["serverUnexpectedErrors"] == 0
    assert report["acknowledged"] >= 1  # people got through the room to the form
    assert report["acknowledgedFoundExactlyOnce"] == report["acknowledged"]
    assert report["sponsorsWithMoreThanOneForm"] == 0
    assert "verified: seed matches commitment" in out  # the draw, checked from its public JSON
