"""The accounts services one application shares (``app.state.accounts``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from northbound.portal.accounts.clock import Clock, system_clock
from northbound.portal.accounts.passwords import PasswordHashing
from northbound.portal.accounts.sessions import SessionStore
from northbound.settings import Settings
from northbound.storage.database import Database
from northbound.web.templating import Templates


@dataclass
class AccountsState:
    settings: Settings
    db: Database
    templates: Templates
    hashing: PasswordHashing
    clock: Clock = field(default=system_clock)

    @property
    def sessions(self) -> SessionStore:
        # Built on demand so a test that swaps ``clock`` moves session expiry too.
        previous = tuple(key.encode("utf-8") for key in self.settings.verifying_secrets[1:])
        return SessionStore(self.db, self.settings.accounts, self.clock, self.secret, previous)

    @property
    def secret(self) -> bytes:
        return self.settings.secret_key.get_secret_value().encode("utf-8")

    @classmethod
    def build(cls, settings: Settings, db: Database, templates: Templates) -> AccountsState:
        return cls(
            settings=settings,
            db=db,
            templates=templates,
            hashing=PasswordHashing(settings.accounts),
        )


def accounts_state(request: Request) -> AccountsState:
    state: AccountsState = request.app.state.accounts
    return state
