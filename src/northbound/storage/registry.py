"""Imports every model module so ``Base.metadata`` knows all tables (for Alembic and tests).

A feature package that adds tables adds its models module to ``MODEL_MODULES``.
"""

from __future__ import annotations

import importlib

from northbound.storage.models import Base

MODEL_MODULES: tuple[str, ...] = (
    "northbound.storage.models",
    "northbound.portal.accounts.models",
    "northbound.portal.applications.models",
    "northbound.portal.lottery.models",
    "northbound.portal.processing.models",
    "northbound.portal.contact.models",
)

for _module in MODEL_MODULES:
    importlib.import_module(_module)

metadata = Base.metadata
