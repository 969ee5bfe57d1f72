"""The JSON API through a small FastAPI app that includes only ``api_router``.

The lead's app turns ``RequestValidationError`` into RFC 9457 problem JSON; here FastAPI's
default 422 body is enough to see that every error names its field.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from northbound.portal.eligibility.api import api_router
from tests.support.answers import CRS_OK, PRESENCE_OK

BASE = "/api/v1/eligibility"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(api_router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_crs_contract(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{BASE}/crs", json=CRS_OK)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {
        "total",
        "core",
        "spouse",
        "skill_transferability",
        "additional",
        "factors",
    }
    # 110 age + 120 bachelor's + 4 x 31 (CLB 9) = 354; + 25 + 50 transferability = 429.
    assert (body["total"], body["core"], body["skill_transferability"]) == (429, 354, 75)
    age = next(f for f in body["factors"] if f["factor"] == "age")
    assert age == {
        "group": "core",
        "factor": "age",
        "label": "Age",
        "value": "29",
        "points": 110,
        "cap": 110,
    }


async def test_fsw_contract(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{BASE}/fsw",
        json={
            "age": 32,
            "education": "masters_or_professional",
            "first_language": {
                "test": "ielts",
                "speaking": 7,
                "listening": 8,
                "reading": 7,
                "writing": 7,
            },
            "skilled_work_years": 3,
            "arranged_employment": True,
            "adaptability": {"relative_in_canada": True},
        },
    )
    assert r.status_code == 200
    body = r.json()
    # CLB 9 x 4 = 24; master's 23; 3 years 11; age 12; arranged 10; adaptability 5+5 = 10.
    assert (
        body["points"],
        body["pass_mark"],
        body["meets_minimum_requirements"],
        body["eligible"],
    ) == (90, 67, True, True)


async def test_physical_presence_contract(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{BASE}/physical-presence", json=PRESENCE_OK)
    assert r.status_code == 200
    body = r.json()
    assert body["total_credit"] == 1186 and body["required"] == 1095 and body["eligible"]
    assert body["earliest_eligible_date"] is None


async def test_programs(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{BASE}/programs", json={"goal": "immigrate", "status": "none", "profile": CRS_OK}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["crs_score"] == 429
    assert body["programs"][0]["program"] == "federal_skilled_worker"
    assert body["programs"][0]["may_qualify"] is True


def _with(base: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("endpoint", "payload", "loc"),
    [
        ("crs", _with(CRS_OK, ("age",), 200), ["body", "age"]),
        (
            "crs",
            _with(CRS_OK, ("first_language", "speaking"), 13),
            ["body", "first_language", "speaking"],
        ),
        (
            "crs",
            _with(CRS_OK, ("first_language", "test"), "ielts")
            | {
                "first_language": {
                    "test": "ielts",
                    "speaking": 9.7,
                    "listening": 7,
                    "reading": 7,
                    "writing": 7,
                }
            },
            ["body", "first_language", "speaking"],
        ),
        ("crs", _with(CRS_OK, ("education",), "kindergarten"), ["body", "education"]),
        (
            "crs",
            _with(CRS_OK, ("first_language", "test"), "toefl"),
            ["body", "first_language", "test"],
        ),
        ("crs", _with(CRS_OK, ("foreign_work_years",), -1), ["body", "foreign_work_years"]),
        (
            "crs",
            _with(
                CRS_OK,
                ("second_language",),
                {"test": "ielts", "speaking": 6, "listening": 6, "reading": 6, "writing": 6},
            ),
            ["body", "second_language", "test"],
        ),
        (
            "crs",
            _with(CRS_OK, ("canadian_education",), "three_year_or_more")
            | {"education": "secondary"},
            ["body", "canadian_education"],
        ),
        ("crs", CRS_OK | {"job_offer": True}, ["body", "job_offer"]),
        (
            "physical-presence",
            _with(PRESENCE_OK, ("absences", 0, "return"), "2014-02-01"),
            ["body", "absences", 0, "return"],
        ),
        (
            "physical-presence",
            _with(PRESENCE_OK, ("application_date",), "2015-06-01"),
            ["body", "application_date"],
        ),
        ("physical-presence", _with(PRESENCE_OK, ("pr_date",), "not a date"), ["body", "pr_date"]),
        (
            "fsw",
            {
                "age": 30,
                "education": "doctoral",
                "skilled_work_years": 1,
                "first_language": {
                    "test": "tcf",
                    "speaking": 21,
                    "listening": 500,
                    "reading": 500,
                    "writing": 12,
                },
            },
            ["body", "first_language", "speaking"],
        ),
    ],
)
async def test_invalid_input_is_422_naming_the_field(
    client: httpx.AsyncClient, endpoint: str, payload: dict[str, Any], loc: list[str | int]
) -> None:
    r = await client.post(f"{BASE}/{endpoint}", json=payload)
    assert r.status_code == 422
    errors = r.json()["detail"]
    assert loc in [e["loc"] for e in errors], errors
    assert all(e["msg"] for e in errors)


async def test_ielts_half_band_message(client: httpx.AsyncClient) -> None:
    payload = _with(
        CRS_OK,
        ("first_language",),
        {"test": "ielts", "speaking": 6.3, "listening": 7, "reading": 7, "writing": 7},
    )
    error = (await client.post(f"{BASE}/crs", json=payload)).json()["detail"][0]
    assert "half band" in error["msg"]


async def test_documented_in_openapi(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for name in ("crs", "fsw", "physical-presence", "programs"):
        operation = paths[f"{BASE}/{name}"]["post"]
        assert operation["summary"] and "422" in operation["responses"]
