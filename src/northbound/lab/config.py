"""Settings of the lab routes, nested in the site settings as ``lab``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LabSettings(BaseModel):
    """``NORTHBOUND_LAB__BACKEND=1`` adds ``GET /lab/case`` for overload benchmarks."""

    backend: bool = Field(
        default=False,
        description="Serve /lab/case: a page whose cost is a bounded case-processing backend.",
    )
    backend_concurrency: int = Field(default=8, ge=1, le=10_000)
    backend_service_seconds: float = Field(default=0.2, ge=0.0, le=60.0)
