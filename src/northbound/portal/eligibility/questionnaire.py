""" "Find out if you can immigrate": the steps, and the visitor's answers in a signed cookie.

Answers live only in the visitor's browser (an HMAC-signed cookie), so the questionnaire
needs no database and any instance can serve any step. Each step validates its own fields
with the same model as the JSON API; errors about later steps wait for those steps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from northbound.portal.eligibility import page_fields as pf
from northbound.portal.eligibility.forms import SPOUSE_STATUSES, crs_payload
from northbound.portal.eligibility.signing import derive_key
from northbound.portal.eligibility.text import N_

COOKIE_NAME: Final = "nb_eligibility"
COOKIE_MAX_AGE: Final = 24 * 3600
MAX_VALUE_LENGTH: Final = 40


@dataclass(frozen=True, slots=True)
class Step:
    slug_en: str
    slug_fr: str
    title: str
    items: tuple[pf.Item, ...]

    def slug(self, language: str) -> str:
        return self.slug_en if language == "en" else self.slug_fr

    @property
    def field_names(self) -> tuple[str, ...]:
        names: list[str] = []
        for item in self.items:
            fields = item.fields if isinstance(item, pf.Group) else (item,)
            names.extend(f.name for f in fields)
        return tuple(names)

    @property
    def checkboxes(self) -> tuple[str, ...]:
        return tuple(
            f.name
            for item in self.items
            for f in (item.fields if isinstance(item, pf.Group) else (item,))
            if f.kind == "checkbox"
        )


STEPS: Final[tuple[Step, ...]] = (
    Step("situation", "situation", N_("Your situation"), (pf.GOAL, pf.STATUS)),
    Step(
        "about-you",
        "a-propos-de-vous",
        N_("About you"),
        (pf.AGE, pf.MARITAL, pf.EDUCATION, pf.CANADIAN_EDUCATION),
    ),
    Step("languages", "langues", N_("Official languages"), (pf.FIRST_LANGUAGE, pf.SECOND_LANGUAGE)),
    Step(
        "work",
        "travail",
        N_("Work experience"),
        (
            pf.CANADIAN_WORK,
            pf.CANADIAN_WORK_RECENT,
            pf.TEER,
            pf.FOREIGN_WORK,
            pf.TRADE_WORK,
            pf.CERTIFICATE,
        ),
    ),
    Step(
        "ties",
        "liens-avec-le-canada",
        N_("Ties to Canada"),
        (pf.JOB_OFFER, pf.NOMINATION, pf.SIBLING, pf.FAMILY, pf.ACCEPTANCE, pf.DAYS_IN_CANADA),
    ),
    Step("spouse", "conjoint", N_("Your spouse or partner"), (pf.SPOUSE, pf.SPOUSE_LANGUAGE)),
)
KNOWN_FIELDS: Final = frozenset(name for step in STEPS for name in step.field_names)


def applies(step: Step, answers: Mapping[str, str]) -> bool:
    """The spouse step is asked only of people who are married or in a common-law union."""
    return step.slug_en != "spouse" or answers.get("marital_status") in SPOUSE_STATUSES


def find_step(slug: str, language: str) -> int | None:
    for index, step in enumerate(STEPS):
        if step.slug(language) == slug:
            return index
    return None


def next_index(index: int, answers: Mapping[str, str], direction: int) -> int | None:
    """The next step that applies in ``direction`` (+1 or -1); None past either end."""
    i = index + direction
    while 0 <= i < len(STEPS):
        if applies(STEPS[i], answers):
            return i
        i += direction
    return None


def merge_step(answers: Mapping[str, str], step: Step, form: Mapping[str, str]) -> dict[str, str]:
    """Answers with this step's fields replaced by what the form sent (blank when absent)."""
    merged = {k: v for k, v in answers.items() if k not in step.field_names}
    for name in step.field_names:
        value = form.get(name, "").strip()[:MAX_VALUE_LENGTH]
        if name in step.checkboxes:
            value = "yes" if value and value not in ("no", "false") else ""
        if value:
            merged[name] = value
    return merged


_EXTRA_FIELDS: Final = (
    "goal",
    "status",
    "canadian_work_years_last_3",
    "canadian_work_teer",
    "trade_work_years_last_5",
    "days_in_canada_last_5_years",
)
_EXTRA_FLAGS: Final = ("job_offer", "letter_of_acceptance", "family_citizen_or_pr")


def programs_payload(answers: Mapping[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {"profile": crs_payload(answers)}
    for name in _EXTRA_FIELDS:
        if answers.get(name):
            payload[name] = answers[name]
    for name in _EXTRA_FLAGS:
        payload[name] = bool(answers.get(name))
    return payload


def field_of(loc: tuple[str | int, ...]) -> str:
    """The form field an error of ``ProgramsRequest`` belongs to."""
    parts = loc[1:] if loc and loc[0] == "profile" else loc
    return "__".join(str(p) for p in parts)


class AnswerCookie:
    """Answers as ``base64(json).mac``, signed with a key derived from the site's secret."""

    def __init__(self, secret: str) -> None:
        self._key = derive_key(secret, "eligibility questionnaire")

    def _mac(self, body: bytes) -> str:
        digest = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def dump(self, answers: Mapping[str, str]) -> str:
        clean = {k: v[:MAX_VALUE_LENGTH] for k, v in answers.items() if k in KNOWN_FIELDS}
        body = base64.urlsafe_b64encode(json.dumps(clean, separators=(",", ":")).encode())
        return f"{body.decode()}.{self._mac(body)}"

    def load(self, cookie: str | None) -> dict[str, str]:
        """The answers in a valid cookie; an empty dict for a missing, forged or broken one."""
        if not cookie or len(cookie) > 4000 or "." not in cookie:
            return {}
        body, mac = cookie.rsplit(".", 1)
        # bytes, not str: a cookie may hold any latin-1 text, which compare_digest refuses
        if not hmac.compare_digest(
            mac.encode("utf-8", "surrogatepass"),
            self._mac(body.encode("utf-8", "surrogatepass")).encode(),
        ):
            return {}
        try:
            data = json.loads(base64.urlsafe_b64decode(body.encode()))
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(k): str(v)[:MAX_VALUE_LENGTH]
            for k, v in data.items()
            if k in KNOWN_FIELDS and isinstance(v, str)
        }
