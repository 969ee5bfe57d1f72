"""``northbound surge status``: the surge figures of a running instance, read from /metrics.

At the site layer, beside :mod:`northbound.defence`: it reads the site's settings (base URL,
metrics token), which the reusable surge layers know nothing about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx
import typer
from prometheus_client.parser import text_string_to_metric_families

from northbound.ops.metrics import METRIC_NAMESPACE

surge_app = typer.Typer(help="Surge defence of a running instance.", no_args_is_help=True)


@surge_app.callback()
def _group() -> None:
    """Surge defence of a running instance (a group, so `status` stays a sub-command)."""


@dataclass
class SurgeFigures:
    """What /metrics says about the surge layer, gathered by name and labels."""

    gauges: dict[str, float] = field(default_factory=dict)
    admitted: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    shed: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    rate_limited: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    breakers: dict[str, float] = field(default_factory=dict)
    wait_count: float = 0.0
    wait_sum: float = 0.0


SURGE_PREFIX = f"{METRIC_NAMESPACE}_surge_"


def parse_metrics(text: str) -> SurgeFigures:
    figures = SurgeFigures()
    for family in text_string_to_metric_families(text):
        if not family.name.startswith(SURGE_PREFIX):
            continue
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, float(sample.value)
            key = name.removeprefix(SURGE_PREFIX)
            if key == "admitted_total":
                figures.admitted[labels.get("priority", "?")] += value
            elif key == "shed_total":
                figures.shed[(labels.get("priority", "?"), labels.get("reason", "?"))] += value
            elif key == "rate_limited_total":
                figures.rate_limited[labels.get("route_class", "?")] += value
            elif key == "breaker_state":  # worst of the workers
                breaker = labels.get("name", "?")
                figures.breakers[breaker] = max(value, figures.breakers.get(breaker, 0.0))
            elif key == "queue_wait_seconds_count":
                figures.wait_count += value
            elif key == "queue_wait_seconds_sum":
                figures.wait_sum += value
            elif not labels.keys() - {"pid"}:
                # Several workers label their gauges by pid: limits and counts add up, and
                # the event-loop lag that matters is the worst one.
                before = figures.gauges.get(key)
                if before is None:
                    figures.gauges[key] = value
                elif "lag" in key:
                    figures.gauges[key] = max(before, value)
                else:
                    figures.gauges[key] = before + value
    return figures


BREAKER_NAMES = {0.0: "closed", 1.0: "half-open", 2.0: "open"}


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.3f}"


def format_table(figures: SurgeFigures) -> str:
    rows: list[tuple[str, str]] = []
    for key, label in (
        ("limit", "concurrency limit"),
        ("in_flight", "in flight"),
        ("queue_length", "waiting for admission"),
        ("loop_lag_seconds", "event-loop lag (s)"),
        ("rate_limit_store_failures_total", "rate-limit store failures (fail open)"),
    ):
        if key in figures.gauges:
            rows.append((label, _number(figures.gauges[key])))
    if figures.wait_count:
        mean_ms = 1000 * figures.wait_sum / figures.wait_count
        rows.append(("queued requests", _number(figures.wait_count)))
        rows.append(("mean queue wait (ms)", f"{mean_ms:.1f}"))
    rows.extend((f"admitted: {p}", _number(v)) for p, v in sorted(figures.admitted.items()))
    rows.extend((f"shed: {p} / {r}", _number(v)) for (p, r), v in sorted(figures.shed.items()))
    rows.extend((f"429: {c}", _number(v)) for c, v in sorted(figures.rate_limited.items()))
    rows.extend(
        (f"breaker: {n}", BREAKER_NAMES.get(v, str(v))) for n, v in sorted(figures.breakers.items())
    )
    if not rows:
        return "No surge figures: is the surge defence on (protected) on this instance?"
    return _render(rows)


def _render(rows: Iterable[tuple[str, str]]) -> str:
    rows = list(rows)
    left = max(len(label) for label, _ in rows)
    right = max(len(value) for _, value in rows)
    rule = f"+-{'-' * left}-+-{'-' * right}-+"
    lines = [rule]
    lines += [f"| {label:<{left}} | {value:>{right}} |" for label, value in rows]
    lines.append(rule)
    return "\n".join(lines)


def _figures_document(figures: SurgeFigures) -> dict[str, object]:
    return {
        "gauges": figures.gauges,
        "admitted": dict(figures.admitted),
        "shed": [
            {"priority": p, "reason": r, "count": v} for (p, r), v in sorted(figures.shed.items())
        ],
        "rateLimited": dict(figures.rate_limited),
        "breakers": {n: BREAKER_NAMES.get(v, str(v)) for n, v in figures.breakers.items()},
        "queueWaitCount": figures.wait_count,
        "queueWaitSecondsSum": figures.wait_sum,
    }


@surge_app.command()
def status(
    url: str | None = typer.Option(
        None, help="Base URL of a running instance (default: NORTHBOUND_BASE_URL)."
    ),
    timeout: float = typer.Option(5.0, help="Seconds to wait for /metrics."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Print admission, shedding, rate-limit and breaker figures of a running instance."""
    import json

    from northbound.settings import Settings

    site = Settings()
    target = (url or site.base_url).rstrip("/") + "/metrics"
    token = site.metrics.token.get_secret_value()
    # /metrics is not public: the token opens it from anywhere (loopback needs none)
    extra = {"headers": {"Authorization": f"Bearer {token}"}} if token else {}
    try:
        response = httpx.get(target, timeout=timeout, **extra)  # type: ignore[arg-type]
        response.raise_for_status()
    except httpx.HTTPError as error:
        hint = (
            "set NORTHBOUND_METRICS__TOKEN to the site's metrics token"
            if isinstance(error, httpx.HTTPStatusError) and error.response.status_code in (401, 404)
            else "set NORTHBOUND_BASE_URL (or --url) to a running instance"
        )
        typer.echo(f"Could not read {target}: {error} ({hint})", err=True)
        raise typer.Exit(code=1) from error
    figures = parse_metrics(response.text)
    if as_json:
        typer.echo(json.dumps(_figures_document(figures), indent=2))
        return
    typer.echo(format_table(figures))
