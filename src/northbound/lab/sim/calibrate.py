"""Service times from a real lab run (``--calibrate report.json``).

The lab measures latency from each request's intended send time. At light load that is
mostly service time, so the log-normal is fitted through the median and 90th percentile of
the first run in the report whose 5-second windows show a quiet spell: the window with the
lowest median is used, since a queue only ever adds to it. The result is an estimate of the
instance's per-request service time; it says nothing about its concurrency, which stays
``--workers``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .servers import ServiceTime


def service_from_report(path: Path, run: str | None = None) -> ServiceTime:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    runs: dict[str, Any] = report.get("runs", {})
    if not runs:
        raise ValueError(f"{path}: no runs")
    chosen = runs[run] if run is not None else next(iter(runs.values()))
    latency = chosen["latency_ms"]
    windows = [w for w in latency.get("series", []) if w.get("p50") and w.get("p90")]
    quiet = min(windows, key=lambda w: w["p50"]) if windows else latency
    if not quiet.get("p50") or not quiet.get("p90"):
        raise ValueError(f"{path}: no latency percentiles to calibrate from")
    return ServiceTime.from_percentiles(quiet["p50"] / 1000, quiet["p90"] / 1000)
