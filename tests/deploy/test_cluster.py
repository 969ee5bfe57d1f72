"""The local cluster (nginx + instances + private PostgreSQL and Redis) and the fault bench's
bookkeeping: an instance killed under nginx costs no error, and the tally tells designed
refusals from failures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from northbound.ops.cluster.faults import LineWatch, tally
from northbound.ops.cluster.local import LocalCluster
from tests.support.services import REQUIRE_SERVICES

LOG = [
    '2026-12-03T08:00:00+00:00 200 200 127.0.0.1:9001 GET "/en/" 0.002 MISS',
    '2026-12-03T08:00:00+00:00 200 - - GET "/en/" 0.000 HIT',
    '2026-12-03T08:00:01+00:00 503 503 127.0.0.1:9002 GET "/en/account/" 0.001 -',
    '2026-12-03T08:00:01+00:00 503 502, 502 127.0.0.1:9001, 127.0.0.1:9002 POST "/x" 0.1 -',
    '2026-12-03T08:00:02+00:00 429 - - GET "/en/account/" 0.000 -',
    '2026-12-03T08:00:02+00:00 502 502 127.0.0.1:9001 GET "/en/account/" 0.003 -',
    '2026-12-03T08:00:03+00:00 200 - - GET "/en/" 0.000 STALE',
    "truncated line",
]


def test_the_tally_counts_failures_apart_from_designed_answers() -> None:
    result = tally(LOG)
    assert result.total == 7
    assert result.failures == 1  # the 502: 503 and 429 are designed
    assert result.busy_pages == 1  # nginx's busy page after two 502s
    assert result.cached_while_failing == 1
    assert LineWatch().went_back == []


def _engines_available() -> bool:
    needed = ("redis-server", "nginx")
    has_postgres = shutil.which("pg_ctl") or any(Path("/usr/lib/postgresql").glob("*/bin"))
    return all(shutil.which(n) or Path(f"/usr/sbin/{n}").exists() for n in needed) and bool(
        has_postgres
    )


@pytest.mark.slow
def test_killing_an_instance_behind_nginx_costs_no_error(tmp_path: Path) -> None:
    if not _engines_available():
        if REQUIRE_SERVICES:
            pytest.fail("nginx, redis-server and PostgreSQL are needed (scripts/test-deps)")
        pytest.skip("nginx, redis-server or PostgreSQL is not installed")
    cluster = LocalCluster(tmp_path / "cluster", instances=2)
    with cluster:
        assert cluster.postgres is not None and cluster.redis is not None
        with httpx.Client(base_url=cluster.url, timeout=10) as client:
            assert client.get("/en/").status_code == 200
            assert client.get("/metrics").status_code == 404
            cluster.members[0].kill()
            statuses = [client.get("/en/account/sign-in").status_code for _ in range(30)]
            assert statuses == [200] * 30  # nginx retried the refused connections elsewhere
            cluster.members[0].start()
            assert cluster.members[0].alive
        pg_folder = cluster.postgres.folder
    assert not any(m.alive for m in cluster.members)
    assert cluster.nginx is not None and cluster.nginx.process is not None
    assert cluster.nginx.process.poll() is not None
    assert not pg_folder.exists()  # the private PostgreSQL stopped and was removed
    assert os.path.exists(tmp_path / "cluster" / "nginx" / "access.log")
