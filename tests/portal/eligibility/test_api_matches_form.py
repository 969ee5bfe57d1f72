"""Property: the JSON API and the HTML form give the same CRS score for the same answers
(or both refuse them)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from northbound.app import create_app
from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.language import (
    TEST_LANGUAGE,
    Ability,
    LanguageTest,
    OfficialLanguage,
    score_range,
)
from northbound.settings import Settings
from northbound.storage import migrate
from tests.support.apps import STEADY_SURGE


def _score(test: LanguageTest, ability: Ability) -> st.SearchStrategy[float]:
    low, high, step = score_range(test, ability)
    steps = int((high - low) / step)
    return st.integers(0, steps).map(lambda n: low + n * step)


@st.composite
def language(draw: st.DrawFn, official: OfficialLanguage | None = None) -> dict[str, Any]:
    tests = [t for t in LanguageTest if official is None or TEST_LANGUAGE[t] is official]
    test = draw(st.sampled_from(tests))
    return {"test": test.value, **{a.value: draw(_score(test, a)) for a in Ability}}


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    first = draw(language())
    other = (
        OfficialLanguage.FRENCH
        if TEST_LANGUAGE[LanguageTest(first["test"])] is OfficialLanguage.ENGLISH
        else OfficialLanguage.ENGLISH
    )
    spouse = draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "accompanying": st.booleans(),
                "canadian_citizen_or_pr": st.booleans(),
                "education": st.sampled_from([e.value for e in Education]),
                "canadian_work_years": st.integers(0, 10),
                "language": st.none() | language(),
            }
        )
    )
    return {
        "age": draw(st.integers(15, 60)),
        "education": draw(st.sampled_from([e.value for e in Education])),
        "canadian_education": draw(st.sampled_from([e.value for e in CanadianEducation])),
        "first_language": first,
        "second_language": draw(st.none() | language(other)),
        "canadian_work_years": draw(st.integers(0, 10)),
        "foreign_work_years": draw(st.integers(0, 10)),
        "certificate_of_qualification": draw(st.booleans()),
        "provincial_nomination": draw(st.booleans()),
        "sibling_in_canada": draw(st.booleans()),
        "spouse": spouse,
    }


def _text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def as_form(payload: dict[str, Any]) -> dict[str, str]:
    """The same answers as a visitor would type them into the HTML form."""
    form: dict[str, str] = {}

    def add(prefix: str, value: Any) -> None:
        if value is None or value is False:
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                add(f"{prefix}__{key}" if prefix else key, inner)
        else:
            form[prefix] = "yes" if value is True else _text(value)

    add("", payload)
    form["marital_status"] = "married" if payload["spouse"] else "never_married"
    return form


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, Any]]:
    app_settings = Settings(
        data_dir=tmp_path_factory.mktemp("api-form"),
        secret_key="api-and-form-secret-key-for-tests",
        content_poll_seconds=0,
        **STEADY_SURGE,  # type: ignore[arg-type]
    )
    migrate.upgrade(app_settings.effective_database_url)
    app = create_app(app_settings)
    with asyncio.Runner() as runner:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        yield runner, client
        runner.run(client.aclose())


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads(), language_code=st.sampled_from(["en", "fr"]))
def test_api_and_form_agree(
    site: tuple[asyncio.Runner, Any], payload: dict[str, Any], language_code: str
) -> None:
    runner, client = site
    page = {"en": "/en/eligibility/crs-calculator", "fr": "/fr/admissibilite/calculateur-scg"}

    async def both() -> tuple[httpx.Response, httpx.Response]:
        api = await client.post("/api/v1/eligibility/crs", json=payload)
        html = await client.post(page[language_code], data=as_form(payload))
        return api, html

    api, html = runner.run(both())
    event(f"status {api.status_code}")
    assert api.status_code == html.status_code, (api.text, payload)
    if api.status_code == 200:
        found = re.search(r'id="crs-total" data-total="(\d+)"', html.text)
        assert found and int(found.group(1)) == api.json()["total"]
