"""Answers the eligibility API accepts: one profile for the CRS calculator, one history for the
physical-presence calculator. Tests copy them and change what they are about."""

from __future__ import annotations

from typing import Any

CRS_OK: dict[str, Any] = {
    "age": 29,
    "education": "bachelors_or_three_year",
    "canadian_education": "none",
    "first_language": {"test": "clb", "speaking": 9, "listening": 9, "reading": 9, "writing": 9},
    "second_language": None,
    "canadian_work_years": 0,
    "foreign_work_years": 3,
    "certificate_of_qualification": False,
    "provincial_nomination": False,
    "sibling_in_canada": False,
    "spouse": None,
}
PRESENCE_OK: dict[str, Any] = {
    "application_date": "2018-04-01",
    "pr_date": "2016-01-01",
    "temporary_periods": [{"start": "2012-04-01", "end": "2015-12-31"}],
    "absences": [{"departure": "2014-02-03", "return": "2014-02-20"}],
    "sentence_periods": [],
}
