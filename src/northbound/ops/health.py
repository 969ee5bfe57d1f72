"""Health endpoints for load balancers and Prometheus scraping."""

from __future__ import annotations

import asyncio
import math
import os
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from northbound.ops import metrics_access
from northbound.ops.observe import TALLY
from northbound.storage.database import Database, DatabaseUnavailable
from northbound.surge.breaker import BreakerState

router = APIRouter(include_in_schema=False)
READY_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is up and its event loop answers."""
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


READY_CACHE_SECONDS = 1.0


class _Readiness:
    """The last readiness verdict, shared by every probe for a second.

    /readyz bypasses every surge layer (load balancers must reach it), so a flood of probes
    must not become a flood of database sessions that could exhaust the pool and open the
    breaker for real visitors: one ping at a time, and its answer reused briefly.
    """

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.checked_at = -math.inf
        self.database = ""
        self.retry_after = 0.0

    async def check(self, db: Database) -> tuple[str, float]:
        if db.breaker.state is BreakerState.OPEN:  # known down: the breaker answers at once
            return await _ping(db)
        async with self.lock:
            if time.monotonic() - self.checked_at >= READY_CACHE_SECONDS:
                self.database, self.retry_after = await _ping(db)
                self.checked_at = time.monotonic()
            return self.database, self.retry_after


async def _ping(db: Database) -> tuple[str, float]:
    try:
        await db.ping(READY_TIMEOUT_SECONDS)
    except DatabaseUnavailable as exc:
        return f"unavailable: {exc.reason}", exc.retry_after
    except Exception as exc:  # any failure means "not ready", never a 500
        return f"unavailable: {type(exc).__name__}", 0.0
    return "ok", 0.0


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready to take form traffic: the database answers within the timeout.

    The ping goes through the database's circuit breaker: while the circuit is open the probe
    answers at once without touching the database, and once the reset time has passed the
    probe itself may be the call that tests whether it is back.
    """
    db: Database = request.app.state.db
    readiness: _Readiness | None = getattr(request.app.state, "readiness", None)
    if readiness is None:
        readiness = request.app.state.readiness = _Readiness()
    database, retry_after = await readiness.check(db)
    checks = {"database": database}
    ready = database == "ok"
    headers = {"cache-control": "no-store"}
    if not ready:
        headers["retry-after"] = str(max(1, math.ceil(retry_after or db.breaker.reset_timeout)))
    return JSONResponse(
        {
            "status": "ready" if ready else "degraded",
            "checks": checks,
            "circuits": {"database": db.breaker.state.value},
        },
        status_code=200 if ready else 503,
        headers=headers,
    )


def exposition() -> bytes:
    """Every metric of this instance in Prometheus text (all workers' when there are several)."""
    TALLY.flush()  # this process's requests since the last batch (other workers': <= 1 s old)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: add up every one's files
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()


METRICS_REFUSALS = {
    401: "Send the metrics token: Authorization: Bearer <NORTHBOUND_METRICS__TOKEN>.",
    404: "Not found.",
}


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics, for the callers ``ops.metrics_access`` lets in (not the public)."""
    status = metrics_access.decide(request.app.state.settings.metrics, request.scope)
    if status != 200:
        headers = {"cache-control": "no-store"}
        if status == 401:
            headers["www-authenticate"] = 'Bearer realm="metrics"'
        return JSONResponse(
            {"detail": METRICS_REFUSALS[status]}, status_code=status, headers=headers
        )
    return Response(
        exposition(), media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"}
    )
