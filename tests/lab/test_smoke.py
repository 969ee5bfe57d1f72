"""CI-sized smoke: ``northbound lab compare --duration 15`` end to end, as an operator runs
it (its own process: compare pins itself to the generator's core)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from northbound.lab.compare import keep_metrics


@pytest.mark.slow
def test_lab_compare_smoke(tmp_path: Path) -> None:
    out = tmp_path / "report"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "northbound.cli",
            "lab",
            "compare",
            "--profile",
            "election-night",
            "--duration",
            "15",
            "--contenders",
            "protected",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode in (0, 2), completed.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    run = report["runs"]["protected"]
    # exit code 2 exactly when the generator, not the site, set the pace
    assert (completed.returncode == 2) == (not run["valid"])
    assert run["capacity_rps"] > 0
    assert run["journeys"]["started"] > 0 and run["goodput_rps"]["mean"] > 0
    assert "500" not in run["status_counts"]
    assert run["server_cpu"]["mean"] > 0  # the lab started the site, so it watched it
    assert run["submissions"]["lost"] == 0 and run["submissions"]["duplicated"] == 0
    assert run["submissions"]["acknowledged"] >= 1  # at least the seeded accounts
    page = (out / "report.html").read_text()
    assert "protected" in page and "data:image/png;base64," in page
    assert (out / "ledger-protected.json").exists()
    # the site's own figures as the surge left them, beside its log
    figures = (out / "work" / "protected" / "surge" / "metrics.prom").read_text()
    assert "northbound_surge_admitted_total" in figures
    # and every stay in the room, one row each: as many as the report counted
    with (out / "work" / "protected" / "surge" / "room-visits.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == run["waiting_room"]["people_in_room"]
    assert all(float(row["first_seen"]) <= float(row["last_seen"]) for row in rows)
    # and the room's own view of the same seconds: its tick journal, a line a tick
    ticks = (out / "work" / "protected" / "surge" / "room-ticks.jsonl").read_text().splitlines()
    assert len(ticks) >= 10 and all("serving" in json.loads(line) for line in ticks)


def test_a_site_that_does_not_serve_its_figures_leaves_a_note(tmp_path: Path) -> None:
    path = tmp_path / "metrics.prom"
    keep_metrics("http://127.0.0.1:9", path)  # nothing listens on the discard port
    assert path.read_text().startswith("# not read:")
