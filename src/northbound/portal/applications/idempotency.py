"""Idempotency keys: a retry of a submission returns what the first attempt produced.

The key and the submission are written in one transaction, so either both exist or neither
does; the (user, key) unique constraint settles two concurrent attempts with the same key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from typing import Any, Self

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.applications.models import IdempotencyRecord
from northbound.storage.models import utcnow

KEY_SHAPE = re.compile(r"^[A-Za-z0-9_\-:.]{8,64}$")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """What a keyed submission produced: stored with its key, and answered again, marked
    ``replayed``, to a retry with the same key.

    Each service's result is a subclass naming its own fields; they are stored as a JSON
    object under those names, so a field renamed is a stored result no longer read.
    """

    replayed: bool = False

    def stored(self) -> dict[str, Any]:
        """The JSON object kept with the key (``replayed`` is not: it is about the answer)."""
        fields = dataclasses.asdict(self)
        del fields["replayed"]
        return fields

    @classmethod
    def replay(cls, stored: dict[str, Any]) -> Self:
        """The first attempt's result, as the answer to a retry."""
        return cls(**stored, replayed=True)


class KeyReused(Exception):
    """The key was already used for a different request (a client bug, not a retry)."""


def valid_key(key: str | None) -> bool:
    return bool(key) and KEY_SHAPE.match(key or "") is not None


class MissingKey(Exception):
    """A form came without its submission key, or with one no page of ours hands out."""


def submission_key(value: object) -> str:
    """The form's submission key (``MissingKey`` when it is absent or malformed)."""
    if not isinstance(value, str) or not valid_key(value):
        raise MissingKey()
    return value


def fingerprint(action: str, payload: Any) -> str:
    canonical = json.dumps([action, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def previous_result(
    session: AsyncSession, user_id: int, key: str, action: str, print_: str
) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.action != action or row.fingerprint != print_:
        raise KeyReused(key)
    result: dict[str, Any] = json.loads(row.result)
    return result


def remember(
    session: AsyncSession,
    user_id: int,
    key: str,
    action: str,
    print_: str,
    result: dict[str, Any],
) -> None:
    session.add(
        IdempotencyRecord(
            user_id=user_id,
            key=key,
            action=action,
            fingerprint=print_,
            result=json.dumps(result, sort_keys=True),
            created_at=utcnow(),
        )
    )
