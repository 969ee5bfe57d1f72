"""The HTML forms through the whole app: both languages, errors next to fields, the
questionnaire's steps and cookie, and reference codes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import httpx
import pytest

from northbound.portal.eligibility import page_parts
from northbound.portal.eligibility.forms import decimal_point
from northbound.portal.eligibility.questionnaire import COOKIE_NAME
from northbound.settings import Language

CRS_FORM = {
    "marital_status": "never_married",
    "age": "29",
    "education": "bachelors_or_three_year",
    "canadian_education": "none",
    "first_language__test": "ielts",
    "first_language__speaking": "7",
    "first_language__listening": "8",
    "first_language__reading": "7",
    "first_language__writing": "7",
    "canadian_work_years": "0",
    "foreign_work_years": "3",
}


def field_errors(html: str) -> dict[str, str]:
    found = re.findall(r'<p class="error-message" id="f-([\w-]+?)-error">([^<]*)</p>', html)
    return {name: unescape(message) for name, message in found}


def total(html: str) -> int:
    match = re.search(r'id="crs-total" data-total="(\d+)"', html)
    assert match, "no CRS total on the page"
    return int(match.group(1))


@pytest.mark.parametrize(
    ("path", "twin"),
    [
        ("/en/eligibility/", "/fr/admissibilite/"),
        ("/fr/admissibilite/calculateur-scg", "/en/eligibility/crs-calculator"),
        (
            "/en/eligibility/federal-skilled-worker-points",
            "/fr/admissibilite/grille-travailleurs-qualifies",
        ),
        ("/fr/admissibilite/presence-effective", "/en/eligibility/physical-presence"),
        ("/en/eligibility/find-out", "/fr/admissibilite/decouvrez"),
        ("/fr/admissibilite/decouvrez/situation", "/en/eligibility/find-out/situation"),
    ],
)
async def test_pages_in_both_languages_link_their_twin(
    client: httpx.AsyncClient, path: str, twin: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert f'<html lang="{path[1:3]}">' in r.text
    assert f'href="{twin}"' in r.text
    assert (await client.get(twin)).status_code == 200


async def test_crs_form_scores(client: httpx.AsyncClient) -> None:
    r = await client.post("/en/eligibility/crs-calculator", data=CRS_FORM)
    assert r.status_code == 200
    assert total(r.text) == 429  # the same profile as the API contract test
    assert r.headers["cache-control"] == "no-store"


async def test_crs_form_errors_in_french_next_to_the_field(client: httpx.AsyncClient) -> None:
    bad = CRS_FORM | {"age": "200", "first_language__speaking": "9.7", "education": "phd"}
    r = await client.post("/fr/admissibilite/calculateur-scg", data=bad)
    assert r.status_code == 422
    errors = field_errors(r.text)
    assert errors["age"] == "Entrez un nombre égal ou inférieur à 120."
    assert errors["first_language__speaking"] == "Le résultat doit être compris entre 0 et 9."
    assert errors["education"] == "Choisissez l'une des options."
    assert 'aria-describedby="f-age-hint f-age-error" aria-invalid="true"' in r.text
    assert 'value="200"' in r.text  # what was typed is kept


async def test_crs_form_cross_field_error(client: httpx.AsyncClient) -> None:
    form = CRS_FORM | {
        "second_language__test": "clb",
        "second_language__speaking": "5",
        "second_language__listening": "5",
        "second_language__reading": "5",
        "second_language__writing": "5",
    }
    r = await client.post("/en/eligibility/crs-calculator", data=form)
    assert r.status_code == 422
    assert "other official language" in field_errors(r.text)["second_language__test"]


async def test_crs_form_with_a_spouse(client: httpx.AsyncClient) -> None:
    # Married but the spouse stays home: the "without spouse" columns apply (still 429).
    married = CRS_FORM | {"marital_status": "married", "spouse__education": "doctoral"}
    assert total((await client.post("/en/eligibility/crs-calculator", data=married)).text) == 429
    coming = married | {"spouse__accompanying": "yes"}
    # With spouse: age 100, bachelor's 112, 4 x 29 = 116 -> 328; spouse PhD 10;
    # transferability 75 -> 413.
    assert total((await client.post("/en/eligibility/crs-calculator", data=coming)).text) == 413


async def test_fsw_form(client: httpx.AsyncClient) -> None:
    form = {k: v for k, v in CRS_FORM.items() if k != "marital_status"}
    r = await client.post(
        "/en/eligibility/federal-skilled-worker-points", data=form | {"skilled_work_years": "3"}
    )
    assert r.status_code == 200
    assert 'data-points="68"' in r.text
    r = await client.post("/fr/admissibilite/grille-travailleurs-qualifies", data={})
    assert r.status_code == 422
    assert field_errors(r.text)["age"] == "Entrez ce renseignement."


PRESENCE = {
    "application_date": "2018-04-01",
    "pr_date": "2016-01-01",
    "temporary_periods__0__start": "2012-04-01",
    "temporary_periods__0__end": "2015-12-31",
    "absences__0__departure": "",
    "absences__0__return": "",
    "absences__1__departure": "2014-02-03",
    "absences__1__return": "2014-02-20",
}


async def test_presence_form_skips_blank_rows(client: httpx.AsyncClient) -> None:
    r = await client.post("/en/eligibility/physical-presence", data=PRESENCE)
    assert r.status_code == 200
    assert 'data-total="1186.0"' in r.text


async def test_presence_errors_point_at_the_form_row(client: httpx.AsyncClient) -> None:
    bad = PRESENCE | {"absences__1__return": "2014-01-01"}
    r = await client.post("/fr/admissibilite/presence-effective", data=bad)
    assert r.status_code == 422
    assert field_errors(r.text) == {
        "absences__1__return": "La date de retour doit être le jour du départ ou après."
    }
    r = await client.post(
        "/en/eligibility/physical-presence",
        data=PRESENCE | {"application_date": "2015-01-01", "pr_date": "nope"},
    )
    assert r.status_code == 422
    assert field_errors(r.text) == {"pr_date": "Enter a date as YYYY-MM-DD."}


async def test_presence_more_rows_without_javascript(client: httpx.AsyncClient) -> None:
    r = await client.post("/en/eligibility/physical-presence", data=PRESENCE | {"more": "absences"})
    assert r.status_code == 200
    assert 'name="absences__4__departure"' in r.text  # 2 rows sent -> 4 default + 3 more
    assert 'name="absences__6__return"' in r.text
    assert "data-total" not in r.text


STEPS_EN = [
    ("situation", {"goal": "immigrate", "status": "none"}),
    (
        "about-you",
        {
            "age": "29",
            "marital_status": "married",
            "education": "doctoral",
            "canadian_education": "none",
        },
    ),
    ("languages", {k: v for k, v in CRS_FORM.items() if k.startswith("first_language")}),
    (
        "work",
        {
            "canadian_work_years": "0",
            "canadian_work_years_last_3": "0",
            "foreign_work_years": "3",
            "trade_work_years_last_5": "0",
        },
    ),
    ("ties", {"sibling_in_canada": "yes"}),
    (
        "spouse",
        {
            "spouse__accompanying": "yes",
            "spouse__education": "secondary",
            "spouse__canadian_work_years": "0",
        },
    ),
]


async def test_questionnaire_end_to_end(client: httpx.AsyncClient) -> None:
    base = "/en/eligibility/find-out"
    for slug, data in STEPS_EN:
        r = await client.post(f"{base}/{slug}", data=data | {"nav": "next"})
        assert r.status_code == 303, (slug, r.text[:2000])
    assert r.headers["location"] == f"{base}/results"
    r = await client.get(f"{base}/results")
    assert r.status_code == 200
    # With spouse: age 100 + PhD 140 + 4 x 29 = 356; spouse secondary 2; PhD + CLB 9 = 50,
    # 3 years foreign + CLB 9 = 50 -> 100; sibling 15. Total 473.
    assert total(r.text) == 473
    code = re.search(r'<code id="reference-code">([A-Z0-9-]+)</code>', r.text)
    assert code
    prefilled = await client.get(f"/fr/admissibilite/calculateur-scg?code={code.group(1)}")
    assert prefilled.status_code == 200
    assert total(prefilled.text) == 473
    assert 'value="29"' in prefilled.text


async def test_questionnaire_back_keeps_answers_and_validates(client: httpx.AsyncClient) -> None:
    base = "/fr/admissibilite/decouvrez"
    r = await client.post(f"{base}/situation", data={"goal": "study", "nav": "next"})
    assert r.status_code == 422
    assert set(field_errors(r.text)) == {"status"}  # later steps' fields are not reported
    r = await client.post(
        f"{base}/situation", data={"goal": "study", "status": "none", "nav": "next"}
    )
    assert r.headers["location"] == f"{base}/a-propos-de-vous"
    r = await client.post(f"{base}/a-propos-de-vous", data={"age": "30", "nav": "back"})
    assert r.headers["location"] == f"{base}/situation"
    page = await client.get(f"{base}/a-propos-de-vous")
    assert 'value="30"' in page.text
    # Results before every step is answered send the visitor to the first missing step.
    r = await client.get(f"{base}/resultats")
    assert r.status_code == 303 and r.headers["location"] == f"{base}/a-propos-de-vous"


async def test_single_person_skips_the_spouse_step(client: httpx.AsyncClient) -> None:
    base = "/en/eligibility/find-out"
    steps = dict(STEPS_EN)
    steps["about-you"] = steps["about-you"] | {"marital_status": "never_married"}
    for slug in ("situation", "about-you", "languages", "work"):
        await client.post(f"{base}/{slug}", data=steps[slug])
    r = await client.post(f"{base}/ties", data=steps["ties"])
    assert r.headers["location"] == f"{base}/results"


async def test_forged_cookie_is_ignored(client: httpx.AsyncClient) -> None:
    client.cookies.set(COOKIE_NAME, "eyJhZ2UiOiI5OSJ9.forged")
    r = await client.get("/en/eligibility/find-out/about-you")
    assert r.status_code == 200 and 'value="99"' not in r.text


async def test_unknown_step_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/en/eligibility/find-out/nowhere")).status_code == 404


async def test_bad_or_expired_reference_code(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = await client.get("/en/eligibility/crs-calculator?code=NOT-A-CODE")
    assert r.status_code == 400 and "not valid or has expired" in r.text
    # A code issued 61 days ago has expired.
    monkeypatch.setattr(page_parts, "today", lambda: date.today() - timedelta(days=61))
    for slug, data in STEPS_EN:
        await client.post(f"/en/eligibility/find-out/{slug}", data=data)
    html = (await client.get("/en/eligibility/find-out/results")).text
    code = re.search(r'<code id="reference-code">([A-Z0-9-]+)</code>', html)
    assert code
    monkeypatch.setattr(page_parts, "today", date.today)
    r = await client.get(f"/fr/admissibilite/calculateur-scg?code={code.group(1)}")
    assert r.status_code == 400 and "a expiré" in r.text


@pytest.mark.parametrize(
    ("typed", "read"),
    [("6,5", "6.5"), ("7", "7"), ("6.5", "6.5"), ("6,5,5", "6,5,5"), (",5", ",5"), ("6,", "6,")],
)
def test_a_decimal_comma_is_read_as_a_point(typed: str, read: str) -> None:
    assert decimal_point(typed) == read


async def test_the_french_form_takes_a_score_written_the_french_way(
    client: httpx.AsyncClient,
) -> None:
    french = {**CRS_FORM, "first_language__speaking": "6,5", "first_language__reading": "6.5"}
    dotted = {**CRS_FORM, "first_language__speaking": "6.5", "first_language__reading": "6.5"}
    comma = await client.post(page_parts.PATHS["crs"]["fr"], data=french)
    point = await client.post(page_parts.PATHS["crs"]["fr"], data=dotted)
    assert comma.status_code == point.status_code == 200, field_errors(comma.text)
    assert total(comma.text) == total(point.text)


@pytest.mark.parametrize(("language", "level"), [("en", "CLB 9"), ("fr", "NCLC 9")])
async def test_results_say_test_scores_became_benchmark_levels(
    client: httpx.AsyncClient, language: Language, level: str
) -> None:
    page = await client.post(page_parts.PATHS["crs"][language], data=CRS_FORM)  # IELTS 7/8/7/7
    assert page.status_code == 200
    assert page.text.count(f"<td>{level}</td>") == 4
    assert (
        "Canadian Language Benchmark"
        if language == "en"
        else "Niveaux de compétence linguistique canadiens"
    ) in page.text
