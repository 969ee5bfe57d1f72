"""Health endpoints for load balancers and Prometheus scraping."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from northbound.storage.database import Database

router = APIRouter(include_in_schema=False)
READY_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is up and its event loop answers."""
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready to take form traffic: the database answers within the timeout."""
    db: Database = request.app.state.db
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(db.ping(), READY_TIMEOUT_SECONDS)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", never a 500
        checks["database"] = f"unavailable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "degraded", "checks": checks},
        status_code=200 if ready else 503,
        headers={"cache-control": "no-store"},
    )


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
