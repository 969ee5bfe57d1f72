"""The outside services some tests use: PostgreSQL and Redis on this machine, and what to do
when one is missing (skip on a developer's machine, fail in CI)."""

from __future__ import annotations

import os
import socket

import pytest

from northbound.lab.server import free_port

__all__ = [
    "POSTGRES_ADMIN_URL",
    "REDIS_TEST_URL",
    "REQUIRE_SERVICES",
    "UNREACHABLE_DATABASE",
    "free_port",
    "reachable",
    "require_service",
]

POSTGRES_ADMIN_URL = os.environ.get(
    "NORTHBOUND_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("NORTHBOUND_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("NORTHBOUND_REQUIRE_SERVICES") == "1"
# port 1 on this machine: nothing listens, every connection is refused at once
UNREACHABLE_DATABASE = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip on a developer machine without the service; fail in CI, where it must exist."""
    if reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)
