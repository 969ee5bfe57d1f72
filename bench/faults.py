"""Benchmark: faults in the middle of a surge on the real multi-instance shape.

Starts nginx + N instances + a private PostgreSQL and Redis (``LocalCluster``), then for each
fault runs the surge lab through nginx (``northbound lab run --target``, bounded: its arrivals
last ``--duration`` seconds plus a short drain) and, ``--fault-at`` seconds into the run, breaks
one part and repairs it. Prints one table row per fault and writes ``faults.json``.

    .venv/bin/python bench/faults.py                       # all three faults, 3 instances
    .venv/bin/python bench/faults.py --faults kill-instance --duration 30

Targets (exit code 1 otherwise): 5xx at nginx other than the designed 503/429 = 0;
acknowledged submissions lost = 0; the line's positions and serving number never go back;
nobody let in ahead of an earlier place.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from northbound.ops.cluster.faults import (
    FAULTS,
    FaultResult,
    LineWatch,
    table,
    tally,
    watch_line,
)
from northbound.ops.cluster.local import NORTHBOUND, LocalCluster

LAB_TIMEOUT_SECONDS = 110  # a guard: the lab run bounds itself well within this


def run_one(
    cluster: LocalCluster, fault: str, args: argparse.Namespace, out: Path
) -> dict[str, Any]:
    log = cluster.folder / "nginx" / "access.log"
    offset = log.stat().st_size if log.exists() else 0
    report_dir = out / fault
    command = [
        NORTHBOUND,
        "lab",
        "run",
        "--target",
        cluster.url,
        "--out",
        str(report_dir),
        "--profile",
        args.profile,
        "--duration",
        str(args.duration),
        "--baseline-rps",
        str(args.baseline_rps),
        "--name",
        fault,
        "--database-url",
        cluster.database_url,
    ]
    result = FaultResult(fault)
    watch = LineWatch()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    watcher = threading.Thread(
        target=loop.run_until_complete, args=(watch_line(cluster, stop, watch),), daemon=True
    )
    watcher.start()
    started = time.monotonic()
    lab = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=(out / f"{fault}.lab.log").open("wb")
    )
    try:
        time.sleep(args.fault_at)
        result.started_at = time.monotonic() - started
        FAULTS[fault](cluster, result)
        lab.wait(LAB_TIMEOUT_SECONDS - (time.monotonic() - started))
    except subprocess.TimeoutExpired:
        lab.kill()
        lab.wait()
        result.note += "; the lab run was cut at the guard timeout"
    finally:
        loop.call_soon_threadsafe(stop.set)
        watcher.join(10)
        if lab.poll() is None:
            lab.kill()
            lab.wait()
    time.sleep(1.5)  # nginx flushes its access log buffer every second
    with log.open() as handle:
        handle.seek(offset)
        nginx = tally(handle.read().splitlines())
    report = json.loads((report_dir / "report.json").read_text())
    run = report["runs"][fault]
    submissions = run.get("submissions") or {}
    room = run.get("waiting_room") or {}
    return {
        "fault": fault,
        "requests at nginx": nginx.total,
        "5xx not 503": nginx.failures,
        "503 (busy/shed)": f"{nginx.busy_pages}/{nginx.statuses.get('503', 0) - nginx.busy_pages}",
        "429": nginx.statuses.get("429", 0),
        "acknowledged": submissions.get("acknowledged", 0),
        "lost": submissions.get("lost", "?"),
        "line kept": "yes" if not watch.went_back and watch.samples else "NO",
        "out of order": room.get("out_of_order", "?"),
        "down s": round(result.down_seconds, 1),
        "recover s": round(result.recover_seconds, 1),
        "detail": {
            "fault_at_seconds": round(result.started_at, 1),
            "note": result.note,
            "nginx_statuses": dict(nginx.statuses),
            "stale_pages": nginx.cached_while_failing,
            "line": {
                "first_position": watch.first_position,
                "last_position": watch.last_position,
                "serving": watch.serving,
                "samples": watch.samples,
                "unreadable_samples": watch.unreadable,
                "went_back": watch.went_back,
            },
            "lab_statuses": run.get("status_counts"),
            "lab_valid": run.get("valid"),
            "lab_invalid_reason": run.get("invalid_reason"),
            "people_in_room": room.get("people_in_room"),
            "admitted": room.get("admitted"),
            "submissions": submissions,
        },
    }


def passed(row: dict[str, Any]) -> bool:
    return bool(
        row["5xx not 503"] == 0
        and row["lost"] == 0
        and row["line kept"] == "yes"
        and row["out of order"] == 0
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--profile", default="election-night")
    parser.add_argument(
        "--duration",
        type=float,
        default=45.0,
        help="seconds of arrivals per run (plus seeding and a short drain)",
    )
    parser.add_argument("--baseline-rps", type=float, default=2.0)
    parser.add_argument(
        "--fault-at",
        type=float,
        default=25.0,
        help="seconds after the lab run starts (seeding and a capacity probe take the first ~10 s)",
    )
    parser.add_argument("--out", type=Path, default=Path("reports/faults"))
    args = parser.parse_args()
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; choose from {', '.join(FAULTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="northbound-faults-"))
    # The line is on for the whole night, so every run exercises one FIFO line across the
    # instances; hashing is made cheap so the two shared cores serve journeys, not Argon2.
    extra = {
        "NORTHBOUND_WAITING_ROOM__MODE": "on",
        "NORTHBOUND_ACCOUNTS__ARGON2_MEMORY_KIB": "8192",
        "NORTHBOUND_ACCOUNTS__ARGON2_TIME_COST": "1",
    }
    rows = []
    with LocalCluster(folder, instances=args.instances, extra_env=extra) as cluster:
        print(
            f"cluster: {cluster.url} -> {len(cluster.members)} instances, files in {folder}",
            file=sys.stderr,
        )
        for fault in faults:
            print(f"running {fault} ...", file=sys.stderr)
            rows.append(run_one(cluster, fault, args, args.out))
    (args.out / "faults.json").write_text(json.dumps(rows, indent=2))
    print(table(rows))
    for row in rows:
        print(f"{row['fault']}: {json.dumps(row['detail'])}", file=sys.stderr)
    return 0 if all(passed(row) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
