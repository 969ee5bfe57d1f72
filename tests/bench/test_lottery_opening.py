"""A CI-sized run of ``bench/lottery_opening.py``: nothing else runs the benchmarks, and this one
once stopped working unnoticed (its sponsors' sessions no longer looked like the site's own,
so every one of them was sent to sign in and the run measured nothing)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "lottery_opening.py"


@pytest.mark.slow
def test_a_small_opening_runs_end_to_end() -> None:
    # its own session, so a run that hangs is stopped with the server it started
    bench = subprocess.Popen(
        [sys.executable, str(BENCH), "--sponsors", "120", "--seconds", "15",
         "--early-seconds", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = bench.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(bench.pid, signal.SIGKILL)
        out, err = bench.communicate()
        pytest.fail(f"the bench did not finish in 240 s:\n{out[-2000:]}\n{err[-2000:]}")
    assert bench.returncode == 0, err[-3000:]
    report = json.loads(out[out.index("\n{\n") : out.index("\n}\n") + 2])
    assert report["responses500"] == 0 and report["serverUnexpectedErrors"] == 0
    assert report["acknowledged"] >= 1  # people got through the room to the form
    assert report["acknowledgedFoundExactlyOnce"] == report["acknowledged"]
    assert report["sponsorsWithMoreThanOneForm"] == 0
    assert "verified: seed matches commitment" in out  # the draw, checked from its public JSON
