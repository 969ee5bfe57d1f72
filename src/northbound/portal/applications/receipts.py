"""Receipt numbers people can read out on the phone, with a check digit that catches typos.

Format: two letters for the kind, then ten digits in groups, e.g. ``CZ-482-193-0572``. The
last digit is a Damm check digit, which catches every single wrong digit and every swap of
two neighbouring digits — the two mistakes people make copying numbers.
"""

from __future__ import annotations

import re
import secrets

# The Damm algorithm's quasigroup table (a totally anti-symmetric quasigroup of order 10).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_SHAPE = re.compile(r"^([A-Z]{2})(\d{10})$")


def check_digit(digits: str) -> int:
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return interim


def format_receipt(prefix: str, digits: str) -> str:
    return f"{prefix}-{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def new_receipt(prefix: str) -> str:
    """A random receipt number for ``prefix`` (uniqueness is enforced by the database)."""
    body = "".join(str(secrets.randbelow(10)) for _ in range(9))
    return format_receipt(prefix, body + str(check_digit(body)))


def normalise_receipt(text: str) -> str | None:
    """Accept what people type (spaces, dashes, lower case); None when the check digit fails."""
    compact = re.sub(r"[\s-]", "", text.upper())[:20]
    match = _SHAPE.match(compact)
    if not match or check_digit(match.group(2)) != 0:
        return None
    return format_receipt(match.group(1), match.group(2))
