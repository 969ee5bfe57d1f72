"""CSRF tokens: an HMAC of something only this browser has (its session or a random cookie).

A signed-in browser's token is bound to its session token; before sign-in it is bound to a
random ``nb_csrf`` cookie (signed double-submit). A form from another site cannot read either,
so it cannot produce the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

CSRF_COOKIE = "nb_csrf"
FIELD_NAME = "csrf_token"


def new_binding() -> str:
    return secrets.token_urlsafe(24)


def token_for(secret: bytes, binding: str) -> str:
    mac = hmac.new(secret, b"csrf|" + binding.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def token_matches(secret: bytes, binding: str, submitted: str | None) -> bool:
    """Whether ``submitted`` is this browser's token. Anything a form can hold is a fair
    answer here: text outside ASCII is simply not a token (``compare_digest`` would raise on
    it, so it is compared as bytes, in constant time like any other guess)."""
    if not submitted or len(submitted) > 100:
        return False
    expected = token_for(secret, binding).encode("ascii")
    return hmac.compare_digest(expected, submitted.encode("utf-8", "surrogatepass"))
