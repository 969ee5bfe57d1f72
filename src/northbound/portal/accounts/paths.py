"""Account page addresses in both languages (French pages have French slugs)."""

from __future__ import annotations

from northbound.settings import Language
from northbound.web.language import other as other  # the operator console reads it here

ACCOUNT_PATHS: dict[str, dict[Language, str]] = {
    "home": {"en": "/en/account/", "fr": "/fr/compte/"},
    "sign_in": {"en": "/en/account/sign-in", "fr": "/fr/compte/connexion"},
    "sign_up": {"en": "/en/account/sign-up", "fr": "/fr/compte/inscription"},
    "sign_out": {"en": "/en/account/sign-out", "fr": "/fr/compte/deconnexion"},
    "password": {"en": "/en/account/password", "fr": "/fr/compte/mot-de-passe"},
    "verify": {"en": "/en/account/verify-email", "fr": "/fr/compte/verifier-courriel"},
    "resend": {"en": "/en/account/verify-email/send", "fr": "/fr/compte/verifier-courriel/envoi"},
    "forgot": {"en": "/en/account/forgot-password", "fr": "/fr/compte/mot-de-passe-oublie"},
    "reset": {"en": "/en/account/reset-password", "fr": "/fr/compte/reinitialiser-mot-de-passe"},
}


def safe_next(value: str | None, language: Language) -> str:
    """Only a local path of this site may follow sign-in (no open redirect)."""
    if value and value.startswith(f"/{language}/") and "//" not in value and "\\" not in value:
        return value[:500]
    return ACCOUNT_PATHS["home"][language]
