"""The console's arithmetic: snapshots from /metrics text, rates, p99, instances, the chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from northbound.ops.console import figures
from northbound.ops.console.charts import describe, line_chart
from northbound.ops.console.snapshot import Snapshot, take

EXPOSITION = """# TYPE northbound_http_requests_total counter
northbound_http_requests_total{method="GET",route="/{lang}/{page}",status="200"} 90.0
northbound_http_requests_total{method="GET",route="/healthz",status="200"} 50.0
northbound_http_requests_total{method="GET",route="<unmatched>",status="503"} 7.0
northbound_http_requests_total{method="POST",route="/en/account/sign-in",status="303"} 10.0
northbound_http_requests_total{method="GET",route="/en/account/",status="500"} 1.0
# TYPE northbound_http_request_duration_seconds histogram
northbound_http_request_duration_seconds_bucket{le="0.1",route="/{lang}/{page}"} 80.0
northbound_http_request_duration_seconds_bucket{le="+Inf",route="/{lang}/{page}"} 90.0
northbound_http_request_duration_seconds_bucket{le="0.1",route="/healthz"} 50.0
northbound_http_request_duration_seconds_bucket{le="+Inf",route="/healthz"} 50.0
# TYPE northbound_surge_limit gauge
northbound_surge_limit 20.0
# TYPE northbound_surge_in_flight gauge
northbound_surge_in_flight 3.0
# TYPE northbound_surge_shed_total counter
northbound_surge_shed_total{priority="anonymous",reason="limit"} 5.0
northbound_surge_shed_total{priority="browser",reason="limit"} 2.0
# TYPE northbound_surge_breaker_state gauge
northbound_surge_breaker_state{name="database"} 2.0
# TYPE northbound_room_line_length gauge
northbound_room_line_length{room="main"} 40.0
"""


def test_a_snapshot_counts_useful_answers_only() -> None:
    snap = take(EXPOSITION, "a", 100.0, "ok")
    assert snap.requests == {"200": 140.0, "503": 7.0, "303": 10.0, "500": 1.0}
    assert snap.goodput == 100.0  # the page and the sign-in, not the health probes
    assert snap.latency_buckets == {"0.1": 80.0, "+Inf": 90.0}
    assert (snap.limit, snap.in_flight, snap.line) == (20.0, 3.0, 40.0)
    assert snap.shed == {"limit": 7.0}
    assert snap.breaker == "open" and snap.redis == "ok"
    assert Snapshot.from_dict(snap.to_dict()) == snap


def _snap(
    name: str,
    at: float,
    ok: float,
    errors: float = 0.0,
    fast: float = 0.0,
    slow: float = 0.0,
    limit: float = 0.0,
    in_flight: float = 0.0,
) -> Snapshot:
    return Snapshot(
        instance=name,
        at=at,
        requests={"200": ok, "500": errors, "503": 0.0},
        goodput=ok,
        latency_buckets={"0.05": fast, "1": fast + slow, "+Inf": fast + slow},
        limit=limit,
        in_flight=in_flight,
    )


def test_rates_add_up_over_instances_and_gone_ones_drop_out() -> None:
    now = 10_000.0
    series = {
        "a": [
            _snap("a", now - 65, 0),
            _snap("a", now - 55, 100, fast=100),
            _snap("a", now - 5, 600, errors=2, fast=580, slow=20, limit=20, in_flight=4),
        ],
        "b": [_snap("b", now - 50, 0), _snap("b", now - 0, 500, fast=500, limit=30)],
        "gone": [_snap("gone", now - 200, 0), _snap("gone", now - 100, 9000, limit=99)],
    }
    result = figures.compute(series, now)
    assert result.per_second["2xx"] == pytest.approx(500 / 50 + 500 / 50)
    assert result.per_second["5xx"] == pytest.approx(2 / 50)
    assert result.goodput_per_second == pytest.approx(20.0)
    assert (result.limit, result.in_flight) == (50.0, 4.0)  # the gone instance is not counted
    assert [(row.name, row.alive) for row in result.instances] == [
        ("a", True),
        ("b", True),
        ("gone", False),
    ]
    # 1000 answers in the window, 20 slow (0.05 to 1 s): the 990th is one of them
    assert result.p99_seconds is not None and 0.05 < result.p99_seconds <= 1.0


def test_a_counter_reset_counts_from_zero() -> None:
    series = {"a": [_snap("a", 0.0, 1000), _snap("a", 30.0, 60)]}
    assert figures.compute(series, 30.0).goodput_per_second == pytest.approx(2.0)


def test_quantile_interpolates_like_prometheus() -> None:
    buckets = {"0.1": 50.0, "0.2": 100.0, "+Inf": 100.0}
    assert figures.quantile(buckets, 0.5) == pytest.approx(0.1)
    assert figures.quantile(buckets, 0.75) == pytest.approx(0.15)
    assert figures.quantile({"+Inf": 0.0}, 0.99) is None
    assert figures.quantile({"0.1": 1.0, "+Inf": 10.0}, 0.99) == 0.1  # beyond the last bound


def test_the_chart_has_one_point_a_minute() -> None:
    now = 3600.0
    series = {"a": [_snap("a", now - 130, 0, errors=0), _snap("a", now - 70, 120, errors=6)]}
    points = figures.chart(series, now)
    assert len(points) == figures.CHART_MINUTES
    busy = [p for p in points if p.requests_per_second]
    assert len(busy) == 1 and busy[0].goodput_per_second == pytest.approx(2.0)
    assert busy[0].failures_per_second == pytest.approx(0.1)


def test_status_classes_keep_designed_refusals_apart() -> None:
    assert [figures.status_class(s) for s in ("200", "302", "404", "429", "503", "500", "502")] == [
        "2xx",
        "3xx",
        "4xx",
        "429",
        "503",
        "5xx",
        "5xx",
    ]


def test_charts_are_svg_with_a_text_alternative() -> None:
    values: list[float | None] = [None, 1.0, 3.0, 2.0]
    text = describe(values, "/s", "latest", "highest")
    assert text == "latest 2.00 /s; highest 3.00 /s"
    chart = line_chart("c1", "Requests <per> second", values, "/s", text)
    assert 'role="img"' in chart.svg and "&lt;per&gt;" in chart.svg
    assert chart.svg.count(",") == 3  # one point per known minute


def test_one_worker_per_instance_publishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from northbound.ops.console.publisher import PublisherLock, instance_name

    first, second = PublisherLock(str(tmp_path)), PublisherLock(str(tmp_path))
    assert first.held() and not second.held()
    assert first._fd is not None
    os.close(first._fd)  # the publishing worker dies: its lock goes with it
    assert second.held()
    assert second._fd is not None
    os.close(second._fd)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "northbound-metrics-ab"))
    assert instance_name().endswith(":northbound-metrics-ab") and instance_name() == instance_name()
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert instance_name() != instance_name()  # one app, one name: a new app, a new name


async def test_the_figures_are_read_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering and parsing every metric took tens of milliseconds in a surge: on the event
    loop it stalled every request in flight each time a snapshot was taken."""
    import threading

    from northbound.ops.console import publisher
    from northbound.ops.console.store import MemoryConsoleStore

    threads: list[threading.Thread] = []

    def exposition() -> bytes:
        threads.append(threading.current_thread())
        return EXPOSITION.encode()

    monkeypatch.setattr(publisher, "exposition", exposition)
    store = MemoryConsoleStore()
    assert await publisher.Publisher(store, clock=lambda: 100.0, name="a").publish_once()
    assert threads and threads[0] is not threading.current_thread()
    published = (await store.series(100.0))["a"][0]
    assert published == take(EXPOSITION, "a", 100.0, "not used")
