"""``GET /lab/case``: a dynamic page whose capacity is set by a slow backend, not by our CPU.

IRCC's site stood in front of case-management systems that process a fixed number of cases at
once. This route stands in for that (``BoundedBackend``), so an overload benchmark on a
two-core machine can offer ten times the capacity of a real dynamic page. It is only mounted
when ``settings.lab.backend`` is on.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from northbound.lab.bounded_backend import BoundedBackend
from northbound.lab.config import LabSettings

router = APIRouter(include_in_schema=False)


@router.get("/lab/case")
async def lab_case(request: Request) -> HTMLResponse:
    backend: BoundedBackend = request.app.state.lab_backend
    await backend.process()
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Case processed'
        "</title></head><body><main><h1>Case processed</h1></main></body></html>",
        headers={"cache-control": "no-store"},
    )


def install_lab_routes(app: FastAPI, settings: LabSettings) -> None:
    if not settings.backend:
        return
    # asyncio.Semaphore binds to the running loop on first use, so building it here is safe.
    app.state.lab_backend = BoundedBackend(
        settings.backend_concurrency, settings.backend_service_seconds
    )
    app.include_router(router)
