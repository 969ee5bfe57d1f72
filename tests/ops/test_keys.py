"""Keys that survive a restart, refuse per-instance secrets, and rotate without losing anyone."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from typer.testing import CliRunner

from northbound import keys
from northbound.app import create_app
from northbound.cli import cli
from northbound.settings import Settings
from northbound.surge.waiting_room.tokens import (
    Claims,
    KeyRing,
    Kind,
    PassRefused,
    PassSigner,
    visitor_hash,
)
from tests.support.accounts import FAST_HASHING, NEW, sign_up, tokens
from tests.support.apps import migrated

OLD = "the-old-secret-that-signed-yesterday"
NEW_SECRET = "the-new-secret-for-tonight-0123456789"


def _settings(data_dir: Path, **values: object) -> Settings:
    return Settings(data_dir=data_dir, content_poll_seconds=0, **values)  # type: ignore[arg-type]


def test_default_secret_is_drawn_once_and_kept_private(tmp_path: Path) -> None:
    first = _settings(tmp_path / "data")
    again = _settings(tmp_path / "data")  # a restart: a new process reads the same data dir
    path = tmp_path / "data" / keys.SECRET_FILE_NAME
    assert first.secret_key.get_secret_value() == again.secret_key.get_secret_value()
    assert len(first.secret_key.get_secret_value()) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not first.secret_key_is_set
    other = _settings(tmp_path / "elsewhere")
    assert other.secret_key.get_secret_value() != first.secret_key.get_secret_value()


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    _settings(tmp_path)
    (tmp_path / keys.SECRET_FILE_NAME).chmod(0o644)
    with pytest.raises(keys.KeyConfigurationError, match="chmod 600"):
        _settings(tmp_path)


def test_racing_processes_agree_on_one_secret(tmp_path: Path) -> None:
    path = tmp_path / keys.SECRET_FILE_NAME
    keys._write_once(path, "a" * 40)
    keys._write_once(path, "b" * 40)  # the loser of the race keeps the winner's secret
    assert keys.load_or_create_secret(tmp_path) == "a" * 40
    assert [p.name for p in tmp_path.iterdir()] == [keys.SECRET_FILE_NAME]


def test_short_secrets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        _settings(tmp_path, secret_key="short")


def test_shared_state_needs_an_explicit_secret(tmp_path: Path) -> None:
    with_redis = _settings(tmp_path, redis_url="redis://127.0.0.1:6379/0")
    with pytest.raises(keys.KeyConfigurationError, match="NORTHBOUND_SECRET_KEY") as error:
        with_redis.require_shared_secret()
    assert "NORTHBOUND_REDIS_URL" in str(error.value)
    postgres = _settings(tmp_path, database_url="postgresql+asyncpg://u@127.0.0.1/db")
    with pytest.raises(keys.KeyConfigurationError, match="PostgreSQL"):
        postgres.require_shared_secret()
    _settings(tmp_path, redis_url="redis://x", secret_key=NEW_SECRET).require_shared_secret()
    _settings(tmp_path).require_shared_secret()  # embedded default: the file is fine


def test_serve_stops_with_the_setting_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NORTHBOUND_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("NORTHBOUND_SECRET_KEY", raising=False)
    monkeypatch.delenv("NORTHBOUND_BASE_URL", raising=False)  # serve sets it
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "Cannot start" in result.output and "NORTHBOUND_SECRET_KEY" in result.output


def _pass(signer: PassSigner, now: float) -> str:
    claims = Claims(
        Kind.PASS,
        "main",
        42,
        int(now),
        int(now) + 600,
        int(now) - 60,
        int(now),
        60,
        0,
        visitor_hash("visitor-1"),
    )
    return signer.sign(claims)


def _signer(settings: Settings) -> PassSigner:
    return PassSigner(
        "main",
        KeyRing.from_settings(
            settings.waiting_room.pass_keys, settings.secret_key.get_secret_value()
        ),
    )


def test_passes_survive_a_restart_and_a_rotation(tmp_path: Path) -> None:
    now = time.time()
    yesterday = _settings(tmp_path, secret_key=OLD)
    issued = _pass(_signer(yesterday), now)
    restarted = _settings(tmp_path, secret_key=OLD)
    assert _signer(restarted).verify(issued, visitor_id="visitor-1", now=now).position == 42
    rotated = _settings(tmp_path, secret_key=NEW_SECRET, previous_secret_keys=[OLD])
    assert _signer(rotated).verify(issued, visitor_id="visitor-1", now=now).position == 42
    fresh = _pass(_signer(rotated), now)
    assert fresh.split(".")[0] == "s" + keys.fingerprint(NEW_SECRET)  # the new secret signs
    retired = _settings(tmp_path, secret_key=NEW_SECRET)  # old secret taken off the list
    with pytest.raises(PassRefused, match="unknown_key"):
        _signer(retired).verify(issued, visitor_id="visitor-1", now=now)
    assert _signer(retired).verify(fresh, visitor_id="visitor-1", now=now).position == 42


def test_explicit_pass_keys_are_left_alone(tmp_path: Path) -> None:
    chosen = ["k2:" + "n" * 20, "k1:" + "o" * 20]
    settings = _settings(tmp_path, secret_key=OLD, waiting_room={"pass_keys": chosen})
    assert settings.waiting_room.pass_keys == chosen


async def _app_client(
    settings: Settings, cookies: httpx.Cookies
) -> tuple[LifespanManager, httpx.AsyncClient]:
    app = create_app(settings)
    manager = LifespanManager(app)
    await manager.__aenter__()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return manager, httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=cookies
    )


async def test_sessions_and_open_forms_survive_a_rotation(
    make_settings: Callable[..., Settings],
) -> None:
    before = make_settings(secret_key=OLD, accounts=FAST_HASHING)
    migrated(before)
    manager, client = await _app_client(before, httpx.Cookies())
    try:
        await sign_up(client, "rotation@example.com")
        open_form = await tokens(client, NEW["en"])  # a form opened before the rotation
        cookies = client.cookies
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)

    async def after_restart(**secrets: object) -> tuple[int, int]:
        """The account page's status, then the status of the form opened before."""
        settings = make_settings(accounts=FAST_HASHING, **secrets)
        manager, client = await _app_client(settings, cookies)
        try:
            account = (await client.get("/en/account/")).status_code
            sent = await client.post(NEW["en"], data={**open_form, "kind": "citizenship"})
            return account, sent.status_code
        finally:
            await client.aclose()
            await manager.__aexit__(None, None, None)

    # Without the old secret the session (signed by it) and the open form are both refused...
    account, sent = await after_restart(secret_key=NEW_SECRET)
    assert account == 303 and sent in (303, 403)  # sent to sign in, or the form refused
    # ...with it among the previous keys, the person is still signed in and the form goes.
    account, sent = await after_restart(secret_key=NEW_SECRET, previous_secret_keys=[OLD])
    assert (account, sent) == (200, 303)


async def test_reference_codes_survive_a_rotation(make_settings: Callable[..., Settings]) -> None:
    from northbound.portal.eligibility.page_parts import today
    from northbound.portal.eligibility.reference import make_code

    code = make_code({"age": "29"}, OLD, today())
    for secrets, valid in (({"previous_secret_keys": [OLD]}, True), ({}, False)):
        settings = make_settings(secret_key=NEW_SECRET, **secrets)
        migrated(settings)
        app = create_app(settings)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                page = await client.get("/en/eligibility/crs-calculator", params={"code": code})
        assert page.status_code < 500  # an incomplete profile is a 400 with field messages
        assert ("not valid or has expired" not in page.text) is valid


def test_keys_show_prints_fingerprints_not_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NORTHBOUND_SECRET_KEY", NEW_SECRET)
    monkeypatch.setenv("NORTHBOUND_PREVIOUS_SECRET_KEYS", f'["{OLD}"]')
    monkeypatch.delenv("NORTHBOUND_REDIS_URL", raising=False)
    table = CliRunner().invoke(cli, ["keys", "show"])
    assert table.exit_code == 0, table.output
    assert keys.fingerprint(NEW_SECRET) in table.output and keys.fingerprint(OLD) in table.output
    assert NEW_SECRET not in table.output and OLD not in table.output
    as_json = CliRunner().invoke(cli, ["keys", "show", "--json"])
    assert '"previousSecrets"' in as_json.output
    generated = CliRunner().invoke(cli, ["keys", "generate"]).output.strip()
    assert len(generated) >= 40 and generated != os.environ.get("NORTHBOUND_SECRET_KEY")


def test_keys_show_names_the_missing_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NORTHBOUND_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("NORTHBOUND_SECRET_KEY", raising=False)
    result = CliRunner().invoke(cli, ["keys", "show"])
    assert result.exit_code == 2 and "NORTHBOUND_SECRET_KEY" in result.output
