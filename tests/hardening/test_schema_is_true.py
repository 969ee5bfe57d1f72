"""Issue 12, item 8: what the schema says, the API does (and the other way round)."""

from __future__ import annotations

import httpx

from tests.support.answers import CRS_OK, PRESENCE_OK


async def test_the_schema_documents_every_problem_answer(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/openapi.json")).json()
    crs = schema["paths"]["/api/v1/eligibility/crs"]["post"]["responses"]
    for code in ("400", "405", "415", "422", "429", "503"):
        assert "application/problem+json" in crs[code]["content"], code
    assert "Retry-After" in crs["429"]["headers"] and "Allow" in crs["405"]["headers"]
    one = schema["paths"]["/api/v1/applications/{application_id}"]["get"]["responses"]
    assert {"401", "404"} <= set(one)
    submit = schema["paths"]["/api/v1/applications"]["post"]["parameters"]
    key = next(p for p in submit if p["name"] == "idempotency-key")
    assert key["required"] and key["schema"]["pattern"].startswith("^[A-Za-z0-9")
    scales = schema["components"]["schemas"]["LanguageResultIn"]["oneOf"]
    clb = next(s for s in scales if s["properties"]["test"]["const"] == "clb")
    assert clb["properties"]["speaking"]["minimum"] == 1
    ielts = next(s for s in scales if s["properties"]["test"]["const"] == "ielts")
    assert ielts["properties"]["reading"]["multipleOf"] == 0.5


async def test_booleans_and_dates_take_only_what_the_schema_says(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/api/v1/eligibility/crs", json=CRS_OK)).status_code == 200
    for flag in (0, 1, "yes", "true"):
        body = {**CRS_OK, "sibling_in_canada": flag}
        assert (await client.post("/api/v1/eligibility/crs", json=body)).status_code == 422
    for day in (0, 20180401, "0001-01-01", "9999-12-31"):
        body = {**PRESENCE_OK, "application_date": day}
        response = await client.post("/api/v1/eligibility/physical-presence", json=body)
        assert response.status_code == 422, day  # was a 500 for dates near year 1


async def test_405_lists_every_method_the_path_takes(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/session", json={})
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"POST", "DELETE"}
    response = await client.delete("/api/v1/applications")
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
