"""HTTP figures are batched (ops/observe.py Tally) yet read as if observed one by one."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram

from northbound.ops.metrics import LATENCY, LATENCY_BUCKETS, REQUESTS
from northbound.ops.observe import Tally

_ROUTES = itertools.count()  # a route of its own for each test (the metrics are global)


def _samples(histogram: Histogram, route: str | None = None) -> dict[tuple[str, str], float]:
    """Bucket, count and sum samples (of one route, for a labelled histogram) by (suffix, le)."""
    return {
        (sample.name.rsplit("_", 1)[-1], sample.labels.get("le", "")): sample.value
        for metric in histogram.collect()
        for sample in metric.samples
        if not sample.name.endswith("_created")
        and (route is None or sample.labels.get("route") == route)
    }


def _request_count(route: str, status: str) -> float:
    return sum(
        sample.value
        for metric in REQUESTS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
        and sample.labels["route"] == route
        and sample.labels["status"] == status
    )


@settings(max_examples=60)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([float(b) for b in LATENCY_BUCKETS]),  # exactly on a bound
            st.floats(min_value=0, max_value=30, allow_nan=False),
        ),
        max_size=40,
    )
)
def test_a_batch_writes_what_observing_each_would(latencies: list[float]) -> None:
    one_by_one = Histogram("one", "", buckets=LATENCY_BUCKETS, registry=CollectorRegistry())
    for latency in latencies:
        one_by_one.observe(latency)
    tally = Tally(LATENCY_BUCKETS)
    route = f"/batch-{next(_ROUTES)}"
    tally.schedule._started = 0.0  # as if a timer were pending: records only add to the batch
    for latency in latencies:
        tally.record(route, "GET", 200, latency, now=0.0)
    tally.flush()
    expected = _samples(one_by_one)
    got = _samples(LATENCY, route) if latencies else expected
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(got[key] - value) < 1e-9, key


def test_figures_reach_prometheus_on_flush_not_per_request() -> None:
    clock = [100.0]
    tally = Tally(flush_seconds=1.0, clock=lambda: clock[0])
    route = f"/tally-{next(_ROUTES)}"
    tally.record(route, "GET", 200, 0.003, now=100.0)  # no event loop: flushed at once
    assert _request_count(route, "200") == 1
    tally.schedule._started = 100.0  # as if a timer were pending
    tally.record(route, "GET", 200, 0.003, now=100.5)
    tally.record(route, "GET", 503, 0.001, now=101.0)
    assert _request_count(route, "200") == 1  # still in the batch
    tally.flush()
    assert _request_count(route, "200") == 2
    assert _request_count(route, "503") == 1
    observed = sum(
        s.value
        for m in LATENCY.collect()
        for s in m.samples
        if s.name.endswith("_count") and s.labels["route"] == route
    )
    assert observed == 3
