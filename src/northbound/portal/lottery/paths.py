"""Lottery page addresses in both languages (French pages have French slugs)."""

from __future__ import annotations

from northbound.settings import Language

LOTTERY_PATHS: dict[str, dict[Language, str]] = {
    "intake": {
        "en": "/en/parents-grandparents/{intake_id}",
        "fr": "/fr/parents-grands-parents/{intake_id}",
    },
    "form": {
        "en": "/en/parents-grandparents/{intake_id}/interest-to-sponsor",
        "fr": "/fr/parents-grands-parents/{intake_id}/interet-a-parrainer",
    },
    "draw": {
        "en": "/en/parents-grandparents/{intake_id}/draw",
        "fr": "/fr/parents-grands-parents/{intake_id}/tirage",
    },
    "staff_lottery": {"en": "/en/account/staff/lottery", "fr": "/fr/compte/personnel/tirage"},
    "staff_intake": {
        "en": "/en/account/staff/lottery/{intake_id}",
        "fr": "/fr/compte/personnel/tirage/{intake_id}",
    },
    "staff_close": {
        "en": "/en/account/staff/lottery/{intake_id}/close",
        "fr": "/fr/compte/personnel/tirage/{intake_id}/fermer",
    },
    "staff_flag": {
        "en": "/en/account/staff/lottery/{intake_id}/flags",
        "fr": "/fr/compte/personnel/tirage/{intake_id}/signalements",
    },
    "staff_draw": {
        "en": "/en/account/staff/lottery/{intake_id}/draw",
        "fr": "/fr/compte/personnel/tirage/{intake_id}/tirage",
    },
    "staff_round": {
        "en": "/en/account/staff/lottery/{intake_id}/invitations",
        "fr": "/fr/compte/personnel/tirage/{intake_id}/invitations",
    },
}
DRAW_API = "/api/v1/lottery/intakes/{intake_id}/draw"


def lottery_path(name: str, language: Language, **params: object) -> str:
    return LOTTERY_PATHS[name][language].format(**params)
