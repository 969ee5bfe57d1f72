"""Adaptive admission control: limit algorithms, a priority limiter and its ASGI middleware."""

from northbound.surge.admission.aimd import AIMDLimit
from northbound.surge.admission.classify import DefaultClassifier
from northbound.surge.admission.config import AdmissionSettings
from northbound.surge.admission.gradient2 import Gradient2Limit
from northbound.surge.admission.limit import FixedLimit, Limit, Sample
from northbound.surge.admission.limiter import Limiter
from northbound.surge.admission.loop_lag import LoopLagMonitor
from northbound.surge.admission.middleware import AdmissionControl, AdmissionControlMiddleware
from northbound.surge.admission.permit import Permit, ShedReason
from northbound.surge.admission.priority import Priority

__all__ = [
    "AIMDLimit",
    "AdmissionControl",
    "AdmissionControlMiddleware",
    "AdmissionSettings",
    "DefaultClassifier",
    "FixedLimit",
    "Gradient2Limit",
    "Limit",
    "Limiter",
    "LoopLagMonitor",
    "Permit",
    "Priority",
    "Sample",
    "ShedReason",
]
