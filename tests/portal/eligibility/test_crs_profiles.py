"""Whole profiles scored by hand from the tables, through the JSON-facing conversion too."""

from __future__ import annotations

from northbound.portal.eligibility.api_models import CrsRequest
from northbound.portal.eligibility.crs import compute_crs


def score(payload: dict[str, object]) -> tuple[int, int, int, int, int]:
    r = compute_crs(CrsRequest.model_validate(payload).to_profile())
    return r.total, r.core, r.spouse, r.skill_transferability, r.additional


def test_single_graduate_with_ielts_and_foreign_work() -> None:
    # IELTS S/L/R/W 7.0/8.0/7.0/7.0 is CLB 9 in every ability (speaking, reading and writing
    # need 7.0 for CLB 9, listening needs 8.0).
    # Core (without spouse): age 29 = 110; bachelor's = 120; 4 x 31 = 124 -> 354.
    # Transferability: bachelor's + CLB 9 = 25; 3 years foreign + CLB 9 = 50 -> 75.
    # Total 354 + 75 = 429.
    payload = {
        "age": 29,
        "education": "bachelors_or_three_year",
        "first_language": {
            "test": "ielts",
            "speaking": 7,
            "listening": 8,
            "reading": 7,
            "writing": 7,
        },
        "foreign_work_years": 3,
    }
    assert score(payload) == (429, 354, 0, 75, 0)


def test_couple_with_canadian_work_hits_the_education_group_cap() -> None:
    # CELPIP S/L/R/W 10/9/9/8 -> CLB 10/9/9/8; with spouse: 32 + 29 + 29 + 22 = 112.
    # Core: age 33 = 80; master's = 126; 112; 2 years Canadian work = 46 -> 364.
    # Spouse: bachelor's 8; IELTS 6.0 everywhere = CLB 7 -> 4 x 3 = 12; 1 year = 5 -> 25.
    # Transferability: master's + lowest CLB 8 = 25, master's + 2 years Canadian = 50;
    # 75 capped at 50. No foreign work, no certificate -> 50.
    # Additional: sibling 15. Total 364 + 25 + 50 + 15 = 454.
    payload = {
        "age": 33,
        "education": "masters_or_professional",
        "first_language": {
            "test": "celpip",
            "speaking": 10,
            "listening": 9,
            "reading": 9,
            "writing": 8,
        },
        "canadian_work_years": 2,
        "sibling_in_canada": True,
        "spouse": {
            "accompanying": True,
            "canadian_citizen_or_pr": False,
            "education": "bachelors_or_three_year",
            "canadian_work_years": 1,
            "language": {
                "test": "ielts",
                "speaking": 6,
                "listening": 6,
                "reading": 6,
                "writing": 6,
            },
        },
    }
    assert score(payload) == (454, 364, 25, 50, 15)


def test_french_speaker_with_nomination_hits_the_additional_cap() -> None:
    # TEF S/L/R/W 460/510/470/430 -> NCLC 7/9/8/7 -> 17 + 31 + 23 + 17 = 88 (without spouse).
    # IELTS 5.0 everywhere -> CLB 5/5/6/5 (reading 5.0 reaches CLB 6) -> 4 x 1 = 4.
    # Core: age 41 = 39; two or more credentials = 128; 88; 4 -> 259.
    # Transferability: lowest NCLC 7 -> education 25 and foreign work (5 years) 25 -> 50.
    # Additional: nomination 600 + French with English CLB 5+ 50 + Canadian 1-2 years 15
    # = 665, capped at 600. Total 259 + 50 + 600 = 909.
    payload = {
        "age": 41,
        "education": "two_or_more",
        "canadian_education": "one_or_two_year",
        "first_language": {
            "test": "tef",
            "speaking": 460,
            "listening": 510,
            "reading": 470,
            "writing": 430,
        },
        "second_language": {
            "test": "ielts",
            "speaking": 5,
            "listening": 5,
            "reading": 5,
            "writing": 5,
        },
        "foreign_work_years": 5,
        "provincial_nomination": True,
    }
    assert score(payload) == (909, 259, 0, 50, 600)


def test_tradesperson_whose_spouse_is_canadian_uses_single_columns() -> None:
    # Spouse is a citizen: "without spouse" columns, no spouse points.
    # CLB 6/6/5/5 -> 9 + 9 + 6 + 6 = 30. Core: age 24 = 110; secondary 30; 30; 1 year = 40
    # -> 210. Transferability: secondary earns none; 2 years foreign work + lowest CLB 5 = 0
    # but + 1 year Canadian = 13; certificate + lowest CLB 5 = 25 -> 38. Total 248.
    payload = {
        "age": 24,
        "education": "secondary",
        "first_language": {
            "test": "clb",
            "speaking": 6,
            "listening": 6,
            "reading": 5,
            "writing": 5,
        },
        "canadian_work_years": 1,
        "foreign_work_years": 2,
        "certificate_of_qualification": True,
        "spouse": {
            "accompanying": True,
            "canadian_citizen_or_pr": True,
            "education": "doctoral",
            "canadian_work_years": 5,
        },
    }
    assert score(payload) == (248, 210, 0, 38, 0)
