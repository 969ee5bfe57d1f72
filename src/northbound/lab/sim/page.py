"""``report.html`` for a simulated night: the lab's page, then what only the simulator has.

The lab's page (:func:`northbound.lab.report_page.page`) already shows goodput, latency, answers,
the line and admissions, and estimated against actual waits, per run. Added here, per policy:
a table of the deciding figures, time-to-get-in distributions, fairness, and the admission
rate beside the concurrency limit around the faults.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..report import read
from ..report_page import figures, png_bytes
from ..report_page import page as lab_page

PALETTE = ("#1b7837", "#b2182b", "#2166ac", "#e08214", "#8073ac", "#35978f", "#555555")

Column = tuple[str, Callable[[dict[str, Any]], Any]]
COLUMNS: list[Column] = [
    ("policy", lambda s: s["policy"]),
    ("people", lambda s: s["people"]),
    ("tried to get in", lambda s: s["abandonment"]["tried_to_get_in"]),
    ("got in", lambda s: s["abandonment"]["got_in"]),
    ("gave up", lambda s: s["abandonment"]["gave_up_share"]),
    ("journeys done", lambda s: s["goodput"]["journeys_completed"]),
    ("good pages", lambda s: s["goodput"]["good_pages"]),
    ("wasted", lambda s: s["goodput"]["wasted_answers"]),
    ("get in p50 s", lambda s: s["time_to_get_in_seconds"]["p50"]),
    ("p90 s", lambda s: s["time_to_get_in_seconds"]["p90"]),
    ("p99 s", lambda s: s["time_to_get_in_seconds"]["p99"]),
    ("out of order", lambda s: s["fairness"]["out_of_order_share"]),
    ("Jain", lambda s: s["fairness"]["jain_mean"]),
    ("ETA err p50", lambda s: s["eta_error"]["median"]),
    ("ETA err p90", lambda s: s["eta_error"]["p90"]),
    ("peak line", lambda s: s["peak_line"]),
    ("utilisation", lambda s: s["utilisation"]["mean_during_arrivals"]),
    ("CPU s", lambda s: s["cost"]["cpu_seconds"]),
]


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def table(runs: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in COLUMNS)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{_cell(get(run['simulation']))}</td>" for _, get in COLUMNS)
        + "</tr>"
        for run in runs.values()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _each(runs: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, PALETTE[i % len(PALETTE)], run["simulation"])
        for i, (name, run) in enumerate(runs.items())
    ]


def _time_to_get_in(runs: dict[str, Any]) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        axes: Axes = figure.add_subplot()
        for name, colour, sim in _each(runs):
            points = sim["time_to_get_in_cdf"]
            if points:
                axes.plot(
                    [s for s, _ in points],
                    [q for _, q in points],
                    color=colour,
                    label=name,
                    linewidth=2,
                )
        axes.set_xscale("log")
        axes.set_xlabel("seconds from arrival to the first useful page")
        axes.set_ylabel("share of those who got in")
        axes.set_title("Time to get in")
        axes.legend(fontsize=8)

    return draw


def _fairness(runs: dict[str, Any]) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        order_axes: Axes = figure.add_subplot(1, 2, 1)
        jain_axes: Axes = figure.add_subplot(1, 2, 2)
        entries = _each(runs)
        names = [n for n, _, _ in entries]
        colours = [c for _, c, _ in entries]
        order_axes.bar(
            names, [s["fairness"]["out_of_order_share"] or 0 for _, _, s in entries], color=colours
        )
        order_axes.set_title("Share let in ahead of someone who came earlier")
        jain_axes.bar(
            names, [s["fairness"]["jain_mean"] or 0 for _, _, s in entries], color=colours
        )
        jain_axes.set_ylim(0, 1)
        jain_axes.set_title("Jain's index of waits, same arrival minute")
        for axes in (order_axes, jain_axes):
            axes.tick_params(axis="x", labelrotation=30, labelsize=8)

    return draw


def _control(runs: dict[str, Any]) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        rate_axes: Axes = figure.add_subplot(1, 2, 1)
        util_axes: Axes = figure.add_subplot(1, 2, 2)
        for name, colour, sim in _each(runs):
            rate = sim["inlet_series"] if any(sim["inlet_series"]) else None
            if rate is not None:
                rate_axes.plot(_minutes(rate), color=colour, label=name)
            util_axes.plot(
                [u / 1000 for u in _minutes(sim["utilisation_series"])], color=colour, label=name
            )
        rate_axes.set_title("Inlet: places let in per second (1-minute means)")
        rate_axes.set_xlabel("minutes")
        util_axes.set_title("Server utilisation (1-minute means)")
        util_axes.set_xlabel("minutes")
        util_axes.legend(fontsize=8)

    return draw


def _minutes(values: list[int]) -> list[float]:
    return [sum(values[i : i + 60]) / len(values[i : i + 60]) for i in range(0, len(values), 60)]


def page(report: dict[str, Any]) -> str:
    runs = report["runs"]
    setup = report.get("simulation", {})
    drawings = [
        (
            _time_to_get_in(runs),
            "From the first request for a page the room queues (an "
            "account, a form) to its answer, for those who got in.",
        ),
        (
            _fairness(runs),
            "Out of order: let in while someone who arrived 10 s or more "
            "earlier was still trying. Jain's index: 1 = equal waits.",
        ),
        (_control(runs), "The inlet's admissions and how busy the servers were."),
    ]
    body = "".join(
        f'<figure><img alt="{html.escape(c)}" src="{_data_url(d)}">'
        f"<figcaption>{html.escape(c)}</figcaption></figure>"
        for d, c in drawings
    )
    faults = "".join(f"<li>{html.escape(f)}</li>" for f in setup.get("faults", []))
    section = (
        "<h2>Simulated on a virtual clock</h2>"
        f"<p>{html.escape(setup.get('about', ''))}</p>"
        + (f"<p>Faults:</p><ul>{faults}</ul>" if faults else "")
        + table(runs)
        + body
    )
    return lab_page(report, figures(runs)).replace("</main>", section + "</main>")


def _data_url(draw: Callable[[Figure], None]) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(draw)).decode()


def render(directory: Path) -> Path:
    path = directory / "report.html"
    path.write_text(page(read(directory)), encoding="utf-8")
    return path
