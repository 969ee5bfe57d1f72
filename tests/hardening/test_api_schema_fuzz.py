"""Issue 12, item 8: the OpenAPI schema promises what the API does, checked by schemathesis.

Every operation of the API is fuzzed from the schema (a few examples each, so it runs with
the suite; ``NORTHBOUND_FUZZ_CALLS`` raises the number) with all of schemathesis's checks:
no server error, responses that match their schema, status codes, content types and headers
that are documented, schema-valid requests accepted, invalid ones refused, and 405s that
list the methods the path takes.

Schema-valid input can still be refused with 422 when answers contradict each other (a
return before a departure) or break a rule no schema states (a common password). The check
``refusals_name_rules_the_schema_cannot_state`` keeps that honest: such a 422 must not be
about anything the schema could have said (a type, a range, a length, a missing field).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Err

from northbound.app import create_app
from northbound.settings import Settings
from tests.support.accounts import FAST_HASHING
from tests.support.apps import STEADY_SURGE, migrated

CALLS = int(os.environ.get("NORTHBOUND_FUZZ_CALLS", "25"))
STATUSES: Counter[int] = Counter()
# pydantic's error types for what a JSON Schema can state; a 422 for schema-valid input
# must not carry one of these
SCHEMA_STATABLE = ("missing", "extra_forbidden", "string_too", "too_short", "too_long",
                   "greater_than", "less_than", "literal_error", "enum", "_type", "_parsing",
                   "multiple_of", "string_pattern", "language_score")  # fmt: skip


@schemathesis.check
def refusals_name_rules_the_schema_cannot_state(ctx: Any, response: Any, case: Any) -> None:
    STATUSES[response.status_code] += 1
    if response.status_code != 422 or case.meta is None:
        return
    if getattr(case.meta, "generation", None) is None or case.meta.generation.mode.name != (
        "POSITIVE"
    ):
        return
    for error in response.json().get("errors", []):
        kind = str(error.get("type", ""))
        assert not any(part in kind for part in SCHEMA_STATABLE), (
            f"schema-valid input refused for a reason the schema could state: {error}"
        )


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    values: dict[str, object] = {"data_dir": Path(tmp_path_factory.mktemp("api-fuzz")),
                                 "secret_key": "api-fuzz-secret-key-0123456789",
                                 "content_poll_seconds": 0,
                                 "accounts": FAST_HASHING, **STEADY_SURGE}  # fmt: skip
    app_settings = Settings(**values)  # type: ignore[arg-type]
    migrated(app_settings)
    yield create_app(app_settings)


def test_the_api_keeps_every_promise_of_its_schema(api: FastAPI) -> None:
    # 422 joins the answers schema-valid data may get; the check above keeps it honest
    accepted = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
    config = SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": accepted}}}
    )
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api, config=config)
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the schema itself is broken: that is a failure too
        operation = result.ok()

        @settings(max_examples=CALLS, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            case.call_and_validate()

        try:
            call()
        except BaseException as exc:  # schemathesis groups its findings in an ExceptionGroup
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures[operation.label] = str(exc)[:2000]
    print(f"API calls by status: {dict(sorted(STATUSES.items()))}")
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
    assert sum(STATUSES.values()) >= CALLS and 500 not in STATUSES
