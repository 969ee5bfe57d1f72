"""Settings for admission control, nested in the site settings as ``admission``.

Environment example: ``NORTHBOUND_ADMISSION__ALGORITHM=aimd``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from northbound.surge.admission.accept_queue import BacklogSignal
from northbound.surge.admission.aimd import AIMDLimit
from northbound.surge.admission.gradient2 import Gradient2Limit
from northbound.surge.admission.limit import DEFAULT_CLOCK, FixedLimit, Limit
from northbound.surge.admission.limiter import (
    DEFAULT_CODEL_TARGET,
    DEFAULT_QUEUE_TIMEOUTS,
    DEFAULT_SHARES,
    Limiter,
)
from northbound.surge.admission.loop_lag import LagSignal
from northbound.surge.admission.metrics import AdmissionMetrics
from northbound.surge.admission.priority import Priority
from northbound.surge.types import Clock


class AdmissionSettings(BaseModel):
    algorithm: Literal["gradient2", "aimd", "fixed"] = Field(
        default="gradient2", description="How the concurrency limit is found."
    )
    initial_limit: int = Field(default=20, ge=1)
    min_limit: int = Field(default=4, ge=1)
    max_limit: int = Field(default=200, ge=1)

    gradient2_tolerance: float = Field(default=1.5, ge=1.0)
    gradient2_smoothing: float = Field(default=0.2, gt=0.0, le=1.0)
    gradient2_long_window: int = Field(default=600, ge=1)
    gradient2_queue_size: int = Field(default=4, ge=0)
    gradient2_window_seconds: float = Field(default=0.25, gt=0.0)
    gradient2_min_window_samples: int = Field(default=10, ge=1)

    aimd_backoff_ratio: float = Field(default=0.9, gt=0.0, lt=1.0)
    aimd_timeout_seconds: float = Field(
        default=2.0, gt=0.0, description="AIMD: a request slower than this counts as trouble."
    )

    normal_share: float = Field(
        default=DEFAULT_SHARES[Priority.NORMAL],
        gt=0.0,
        le=1.0,
        description="Part of the limit normal requests may fill.",
    )
    sheddable_share: float = Field(
        default=DEFAULT_SHARES[Priority.SHEDDABLE],
        gt=0.0,
        le=1.0,
        description="Part of the limit sheddable requests may fill.",
    )
    max_queue: int = Field(default=50, ge=0, description="Requests that may wait for a slot.")
    critical_queue_seconds: float = Field(default=DEFAULT_QUEUE_TIMEOUTS[Priority.CRITICAL], ge=0.0)
    normal_queue_seconds: float = Field(default=DEFAULT_QUEUE_TIMEOUTS[Priority.NORMAL], ge=0.0)
    sheddable_queue_seconds: float = Field(
        default=DEFAULT_QUEUE_TIMEOUTS[Priority.SHEDDABLE], ge=0.0
    )
    codel_target_seconds: float = Field(
        default=DEFAULT_CODEL_TARGET,
        ge=0.0,
        description="Longest queue wait while the queue is standing (a priority whose own "
        "timeout is shorter keeps it).",
    )
    codel_interval_seconds: float = Field(
        default=0.1, gt=0.0, description="A queue not empty for this long is standing."
    )
    loop_lag_threshold_seconds: float = Field(
        default=0.1,
        gt=0.0,
        description="Event-loop lag above which sheddable requests are shed, in "
        "proportion to the excess (all of them at twice the threshold).",
    )
    loop_lag_interval_seconds: float = Field(default=0.05, gt=0.0)
    accept_queue_max_wait_seconds: float = Field(
        default=0.25,
        ge=0.0,
        description="Estimated wait in the kernel's accept queue (depth / drain rate) above "
        "which sheddable requests are shed, in proportion to the excess (Linux; 0 turns the "
        "signal off).",
    )

    retry_after_seconds: int = Field(default=5, ge=1, description="Retry-After of a 503.")
    retry_after_spread_seconds: int = Field(
        default=2,
        ge=0,
        description="503s name, in turn, every Retry-After this far either side of "
        "retry_after_seconds, so people refused together do not all come back together "
        "(see surge/shed_page.py CannedResponse).",
    )
    exempt_prefixes: list[str] = Field(
        default_factory=list,
        description="Paths that bypass admission control, beyond those the site always keeps "
        "open (health checks, metrics, static files: passed in by whoever wires the layer).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> AdmissionSettings:
        if not self.min_limit <= self.initial_limit <= self.max_limit:
            raise ValueError("need min_limit <= initial_limit <= max_limit")
        if self.sheddable_share > self.normal_share:
            raise ValueError("sheddable_share may not exceed normal_share")
        return self

    def build_limit(self, clock: Clock = DEFAULT_CLOCK) -> Limit:
        if self.algorithm == "fixed":
            return FixedLimit(self.initial_limit)
        if self.algorithm == "aimd":
            return AIMDLimit(
                initial_limit=self.initial_limit,
                min_limit=self.min_limit,
                max_limit=self.max_limit,
                backoff_ratio=self.aimd_backoff_ratio,
                timeout=self.aimd_timeout_seconds,
                clock=clock,
            )
        return Gradient2Limit(
            initial_limit=self.initial_limit,
            min_limit=self.min_limit,
            max_limit=self.max_limit,
            smoothing=self.gradient2_smoothing,
            tolerance=self.gradient2_tolerance,
            long_window=self.gradient2_long_window,
            queue_size=self.gradient2_queue_size,
            window_seconds=self.gradient2_window_seconds,
            min_window_samples=self.gradient2_min_window_samples,
            clock=clock,
        )

    def build_limiter(
        self,
        *,
        lag_signal: LagSignal | None = None,
        backlog_signal: BacklogSignal | None = None,
        count_arrivals: bool = True,
        clock: Clock = DEFAULT_CLOCK,
        metrics: AdmissionMetrics | None = None,
    ) -> Limiter:
        return Limiter(
            self.build_limit(clock),
            shares={
                Priority.CRITICAL: 1.0,
                Priority.NORMAL: self.normal_share,
                Priority.SHEDDABLE: self.sheddable_share,
            },
            queue_timeouts={
                Priority.CRITICAL: self.critical_queue_seconds,
                Priority.NORMAL: self.normal_queue_seconds,
                Priority.SHEDDABLE: self.sheddable_queue_seconds,
            },
            max_queue=self.max_queue,
            codel_target=self.codel_target_seconds,
            codel_interval=self.codel_interval_seconds,
            lag_signal=lag_signal,
            lag_threshold=self.loop_lag_threshold_seconds,
            backlog_signal=backlog_signal if self.accept_queue_max_wait_seconds > 0 else None,
            backlog_max_wait=self.accept_queue_max_wait_seconds or 1.0,
            count_arrivals=count_arrivals,
            clock=clock,
            metrics=metrics,
        )
