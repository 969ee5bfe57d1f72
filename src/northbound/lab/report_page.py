"""``report.html``: one self-contained page a person can read in a minute.

A summary table of every contender first (the figures that decide), then the pictures:
offered load against goodput over time, latency percentiles over time, the mix of answers,
the waiting room's line and admissions, and estimated against actual waits. The plots are
matplotlib PNGs inlined as data: URLs, so the file can be mailed or attached as it is.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Figure objects, not pyplot: no global state, no display, safe to call from any thread.
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .report import read

COLOURS = {
    "protected": "#1b7837",
    "unprotected": "#b2182b",
    "uvicorn-limit": "#2166ac",
    "nginx-limit": "#e08214",
}
CSS = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:1rem;"
    "color:#222}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;"
    "padding:.3rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}"
    "thead th{background:#26374a;color:#fff}.bad{color:#b2182b;font-weight:700}"
    ".good{color:#1b7837;font-weight:700}img{max-width:100%}figure{margin:1.5rem 0}"
    "figcaption{font-size:.95rem;color:#444}"
)


def _colour(name: str) -> str:
    return COLOURS.get(name, "#555555")


def png_bytes(draw: Callable[[Figure], None], height: float = 3.6) -> bytes:
    figure = Figure(figsize=(10, height), dpi=90)
    draw(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _fmt(value: Any, digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value:,}{suffix}"


def _summary_rows(runs: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, run in runs.items():
        statuses = run["status_counts"]
        fives = sum(n for code, n in statuses.items() if code.startswith("5") and code != "503")
        subs = run.get("submissions") or {}
        room = run["waiting_room"]
        cpu = run.get("server_cpu") or {}  # none when the lab did not start the site
        journeys = run["journeys"]
        completed = journeys["completed"] / journeys["started"] if journeys["started"] else 0.0
        lost = subs.get("lost")
        rows.append(
            [
                html.escape(name),
                _fmt(run.get("capacity_rps"), 1),
                _fmt(run["offered_rps"]["peak"]),
                _fmt(float(run["goodput_rps"]["mean"]), 1),
                _fmt(run["goodput_rps"].get("at_peak"), 1),
                # reports written before the split have no such figure
                _fmt(run.get("dynamic_goodput_rps", {}).get("at_peak"), 1),
                _fmt(run["latency_ms"]["p50"]),
                _fmt(run["latency_ms"]["p99"]),
                _fmt(run["latency_ms"].get("served", {}).get("p99")),
                f"{100 * completed:.0f} %",
                _fmt(fives),
                _fmt(statuses.get("503", 0)),
                _fmt(sum(run["transport_errors"].values())),
                (
                    "–"
                    if lost is None
                    else f'<span class="{"bad" if lost or subs.get("duplicated") else "good"}">'
                    f"{lost} / {subs.get('duplicated')}</span>"
                ),
                _fmt(room["max_line"]),
                _fmt(cpu.get("at_peak"), 2),
                _fmt(cpu.get("underused_while_waiting")),
                _eta(room),
                _coverage(room),
                _fmt(room["out_of_order"]),
                (
                    '<span class="good">yes</span>'
                    if run["valid"]
                    else f'<span class="bad">no: {html.escape(str(run["invalid_reason"]))}</span>'
                ),
            ]
        )
    return rows


HEADERS = [
    "contender",
    "capacity /s",
    "offered peak /s",
    "goodput mean /s",
    "goodput at the peak /s",
    "of which dynamic /s",
    "p50 ms",
    "p99 ms",
    "p99 served ms",
    "journeys completed",
    "5xx (not 503)",
    "503",
    "transport errors",
    "lost / duplicated",
    "max line",
    "site CPU at the peak (cores)",
    "seconds under 80 % CPU with a line",
    "ETA error (median): all / waits ended while the crowd came (how many)",
    "waits within the range shown: all / ended while the crowd came",
    "out of order",
    "valid",
]


def _eta(room: dict[str, Any]) -> str:
    """The two medians of the ETA error, and how many waits the second is of (reports
    written before the second have one)."""
    whole = _fmt(room["eta_relative_error_median"], 2)
    if "eta_in_crowd_relative_error_median" not in room:
        return whole
    in_crowd = _fmt(room["eta_in_crowd_relative_error_median"], 2)
    return f"{whole} / {in_crowd} ({_fmt(room['eta_in_crowd_samples'])})"


def _coverage(room: dict[str, Any]) -> str:
    """Shares of waits within the range shown (reports written before it have none)."""
    if "eta_range_coverage" not in room:
        return "–"
    shares = (room["eta_range_coverage"], room["eta_in_crowd_range_coverage"])
    return " / ".join(_fmt(None if x is None else 100 * x, 0, " %") for x in shares)


def smooth(values: list[float], width: int = 5) -> list[float]:
    """Trailing mean over ``width`` points: per-second counts of a Poisson crowd are noisy."""
    out, total = [], 0.0
    for index, value in enumerate(values):
        total += value
        if index >= width:
            total -= values[index - width]
        out.append(total / min(index + 1, width))
    return out


def _offered_goodput(runs: dict[str, Any]) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        axes: Axes = figure.add_subplot()
        for name, run in runs.items():
            axes.plot(
                smooth(run["offered_rps"]["series"]),
                color=_colour(name),
                linestyle=":",
                linewidth=1.2,
            )
            axes.plot(
                smooth(run["goodput_rps"]["series"]),
                color=_colour(name),
                linewidth=2,
                label=f"{name} goodput",
            )
        axes.set_xlabel("seconds (5 s moving average)")
        axes.set_ylabel("requests per second")
        axes.set_title("Offered load (dotted) and goodput: useful answers within 2 s (solid)")
        axes.legend(loc="upper left", fontsize=8)

    return draw


def _latency(runs: dict[str, Any]) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        axes: Axes = figure.add_subplot()
        for name, run in runs.items():
            points = [p for p in run["latency_ms"]["series"] if p["p50"] is not None]
            times = [p["t"] for p in points]
            axes.plot(
                times, [p["p50"] for p in points], color=_colour(name), linestyle="--", linewidth=1
            )
            axes.plot(
                times,
                [p["p99"] for p in points],
                color=_colour(name),
                linewidth=2,
                label=f"{name} p99",
            )
        axes.set_yscale("log")
        axes.set_xlabel("seconds (intended send time, 5 s windows)")
        axes.set_ylabel("ms")
        axes.set_title("Latency from intended send time: p50 (dashed) and p99 (solid)")
        axes.legend(loc="upper left", fontsize=8)

    return draw


def _status_mix(runs: dict[str, Any]) -> Callable[[Figure], None]:
    groups = {
        "2xx": "#1b7837",
        "3xx": "#7fbc41",
        "429": "#fdb863",
        "503": "#e08214",
        "other 4xx": "#8073ac",
        "other 5xx": "#b2182b",
        "no answer": "#444444",
    }

    def bucket(code: str) -> str:
        if code in ("429", "503"):
            return code
        return {"2": "2xx", "3": "3xx", "4": "other 4xx"}.get(code[0], "other 5xx")

    def draw(figure: Figure) -> None:
        axes: Axes = figure.add_subplot()
        names = list(runs)
        bottoms = [0.0] * len(names)
        for group, colour in groups.items():
            values = []
            for name in names:
                run = runs[name]
                if group == "no answer":
                    values.append(float(sum(run["transport_errors"].values())))
                else:
                    values.append(
                        float(
                            sum(
                                n
                                for code, n in run["status_counts"].items()
                                if bucket(code) == group
                            )
                        )
                    )
            axes.bar(names, values, bottom=bottoms, color=colour, label=group)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        axes.set_ylabel("answers")
        axes.set_title("What people got (the waiting page is a 200; JSON clients get 429)")
        axes.legend(fontsize=8, ncol=4)

    return draw


def _room(runs: dict[str, Any]) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        line_axes: Axes = figure.add_subplot(1, 2, 1)
        rate_axes: Axes = figure.add_subplot(1, 2, 2)
        for name, run in runs.items():
            room = run["waiting_room"]
            line_axes.plot(room["line_series"], color=_colour(name), label=name)
            rate_axes.plot(smooth(room["admission_series"]), color=_colour(name), label=name)
        line_axes.set_title("People in the waiting room")
        line_axes.set_xlabel("seconds")
        rate_axes.set_title("Admissions from the room per second (5 s average)")
        rate_axes.set_xlabel("seconds")
        line_axes.legend(fontsize=8)

    return draw


def _server_cpu(runs: dict[str, Any]) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        axes: Axes = figure.add_subplot(1, 1, 1)
        for name, run in runs.items():
            cpu = run.get("server_cpu")
            if cpu:
                axes.plot(smooth(cpu["series"]), color=_colour(name), label=name)
        axes.set_title("The site's CPU, share of one core (5 s average)")
        axes.set_xlabel("seconds")
        axes.set_ylim(bottom=0)
        axes.legend(fontsize=8)

    return draw


def _estimates(runs: dict[str, Any]) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        axes: Axes = figure.add_subplot()
        top = 1.0
        for name, run in runs.items():
            pairs = run["waiting_room"]["estimated_vs_actual"]
            if pairs:
                axes.scatter(
                    [a for _, a in pairs],
                    [e for e, _ in pairs],
                    s=8,
                    alpha=0.5,
                    color=_colour(name),
                    label=name,
                )
                top = max(top, *(max(e, a) for e, a in pairs))
        axes.plot([0, top], [0, top], color="#888888", linewidth=1)
        axes.set_xlabel("actual wait, s")
        axes.set_ylabel("first estimate shown, s")
        axes.set_title("Estimated against actual wait (on the grey line: exact)")
        if any(run["waiting_room"]["estimated_vs_actual"] for run in runs.values()):
            axes.legend(fontsize=8)

    return draw


def figures(runs: dict[str, Any]) -> list[tuple[str, bytes, str]]:
    """(file name, PNG, caption) of every picture, in the page's order."""
    drawings = [
        (
            "offered-goodput",
            _offered_goodput(runs),
            "Goodput must stay flat past capacity: no congestion collapse.",
        ),
        (
            "latency",
            _latency(runs),
            "Measured from when each request was meant to be sent, so stalls show.",
        ),
        (
            "status-mix",
            _status_mix(runs),
            "Designed refusals (429, 503) are fine; other 5xx and no answer are not.",
        ),
        ("waiting-room", _room(runs), "Computed from what the virtual people were shown."),
        (
            "estimates",
            _estimates(runs),
            "The first estimate each person saw (the page's words: 'less than a minute' counts as "
            "30 s), against the wait they had.",
        ),
    ]
    if any(run.get("server_cpu") for run in runs.values()):  # the lab started the sites
        drawings.insert(
            -1,
            (
                "server-cpu",
                _server_cpu(runs),
                "A line in front of a site that is not busy is goodput left unserved.",
            ),
        )
    return [(name, png_bytes(draw), caption) for name, draw, caption in drawings]


def page(report: dict[str, Any], pictures: list[tuple[str, bytes, str]]) -> str:
    runs = report["runs"]
    profile = report["profile"]
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
        for row in _summary_rows(runs)
    )
    body = "".join(
        f'<figure><img alt="{html.escape(caption)}" src="{_data_url(png)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for _, png, caption in pictures
    )
    title = f"Surge lab: {html.escape(profile['name'])}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{CSS}</style></head><body><main><h1>{title}</h1>"
        f"<p>{html.escape(profile['description'])} {profile['duration']:g} s of arrivals at "
        f"{profile['speed']:g}x speed, peak {profile['peak_rps']:g} people arriving per "
        f"second; created {html.escape(report['created'])}.</p>"
        "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in HEADERS) + "</tr></thead>"
        f"<tbody>{rows}</tbody></table>{body}</main></body></html>"
    )


def render(directory: Path, png_files: bool = False) -> Path:
    """Write ``directory/report.html`` from ``directory/report.json`` (and, with
    ``png_files``, each picture as ``directory/NAME.png`` too, for a README or a slide)."""
    report = read(directory)
    pictures = figures(report["runs"])
    path = directory / "report.html"
    path.write_text(page(report, pictures), encoding="utf-8")
    if png_files:
        for name, png, _ in pictures:
            (directory / f"{name}.png").write_bytes(png)
    return path
