"""Issue 12, item 10: never serve a schema that is behind the code."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from typer.testing import CliRunner

from northbound.app import create_app
from northbound.cli import cli
from northbound.settings import Settings
from northbound.storage import migrate
from northbound.storage.schema import SchemaBehind
from tests.support.accounts import FAST_HASHING, sign_up


async def test_the_embedded_database_is_migrated_at_start(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(accounts=FAST_HASHING)  # never migrated
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await sign_up(c, "first@example.com")  # not "submissions are paused"
            assert response.status_code == 303


@pytest.mark.postgres
async def test_a_postgres_database_behind_the_code_refuses_to_start(
    make_settings: Callable[..., Settings], postgres_url: str
) -> None:
    settings = make_settings(database_url=postgres_url)
    with pytest.raises(SchemaBehind, match="northbound db upgrade"):
        async with LifespanManager(create_app(settings)):
            pass
    migrate.upgrade(postgres_url, "0001")  # part of the way is still behind
    with pytest.raises(SchemaBehind, match="at revision 0001"):
        async with LifespanManager(create_app(settings)):
            pass
    migrate.upgrade(postgres_url)
    async with LifespanManager(create_app(settings)):
        pass


@pytest.mark.postgres
def test_serve_names_the_upgrade_command_instead_of_serving(
    postgres_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHBOUND_DATABASE_URL", postgres_url)
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(tmp_path))
    # a shared database needs a shared key, or serve stops before looking at the schema
    monkeypatch.setenv("NORTHBOUND_SECRET_KEY", "a-key-shared-by-every-instance-0123456789")
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.append(args))
    monkeypatch.delenv("NORTHBOUND_BASE_URL", raising=False)  # serve sets it
    result = CliRunner().invoke(cli, ["serve", "--port", "8999"])
    assert served == []
    assert result.exit_code == 1
    assert "northbound db upgrade" in result.output
    assert "never migrated" in result.output
