"""Mail leaves the outbox by SMTP when a server is configured (a tiny SMTP server on
127.0.0.1 stands in for the real one)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from northbound.app import create_app
from northbound.portal.accounts.mail import deliver_pending
from northbound.portal.accounts.models import OutboxMail
from northbound.settings import Settings
from northbound.storage import migrate
from tests.support.accounts import FAST_HASHING, post_form, sign_up


class FakeSmtp:
    """Just enough of RFC 5321 for smtplib: one message per connection, kept in memory."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.messages: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as reader:
                conn.sendall(b"220 fake ready\r\n")
                data: list[str] = []
                in_data = False
                for raw in reader:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if in_data:
                        if line == ".":
                            in_data = False
                            self.messages.append("\n".join(data))
                            data = []
                            conn.sendall(b"250 queued\r\n")
                        else:
                            data.append(line)
                        continue
                    verb = line[:4].upper()
                    if verb == "DATA":
                        in_data = True
                        conn.sendall(b"354 go ahead\r\n")
                    elif verb == "QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:
                        conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.server.close()


def _mailing_app(make_settings: Callable[..., Settings], smtp_port: int) -> FastAPI:
    """The whole site, hashing cheaply, with its mail going to 127.0.0.1 on ``smtp_port``."""
    accounts = FAST_HASHING.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_port})
    settings = make_settings(accounts=accounts)
    migrate.upgrade(settings.effective_database_url)
    return create_app(settings)


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    server = FakeSmtp()
    yield server
    server.close()


async def test_verification_mail_is_sent_after_sign_up(
    make_settings: Callable[..., Settings], smtp: FakeSmtp
) -> None:
    application = _mailing_app(make_settings, smtp.port)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await sign_up(client, "smtp@example.com", "fr")
            await post_form(client, "/fr/compte/mot-de-passe-oublie", {"email": "smtp@example.com"})
        async with application.state.db.session() as session:
            rows = list((await session.execute(select(OutboxMail))).scalars())
        assert len(rows) == 2 and all(row.sent_at is not None for row in rows)
        assert len(smtp.messages) == 2
        assert "To: smtp@example.com" in smtp.messages[0]
        assert re.search(r"Subject: .*Northbound", smtp.messages[0])
        # Nothing is pending, so a second delivery sends nothing.
        accounts = application.state.settings.accounts
        assert await deliver_pending(application.state.db, accounts) == 0


async def test_unreachable_smtp_leaves_mail_pending(
    make_settings: Callable[..., Settings],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    application = _mailing_app(make_settings, closed_port)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await sign_up(client, "pending@example.com")
            assert response.status_code == 303
        async with application.state.db.session() as session:
            [row] = list((await session.execute(select(OutboxMail))).scalars())
        assert row.sent_at is None and row.attempts == 1
