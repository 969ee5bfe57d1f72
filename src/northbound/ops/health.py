"""Health endpoints for load balancers and Prometheus scraping."""

from __future__ import annotations

import math
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from northbound.storage.database import Database, DatabaseUnavailable

router = APIRouter(include_in_schema=False)
READY_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is up and its event loop answers."""
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready to take form traffic: the database answers within the timeout.

    The ping goes through the database's circuit breaker: while the circuit is open the probe
    answers at once without touching the database, and once the reset time has passed the
    probe itself may be the call that tests whether it is back.
    """
    db: Database = request.app.state.db
    checks: dict[str, str] = {}
    retry_after = 0.0
    try:
        await db.ping(READY_TIMEOUT_SECONDS)
        checks["database"] = "ok"
    except DatabaseUnavailable as exc:
        checks["database"] = f"unavailable: {exc.reason}"
        retry_after = exc.retry_after
    except Exception as exc:  # any failure means "not ready", never a 500
        checks["database"] = f"unavailable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
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


@router.get("/metrics")
async def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: add up every one's files
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
