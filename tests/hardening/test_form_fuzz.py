"""Every HTML form, anonymous and signed in, in both languages, fuzzed: never a 500.

Bounded on purpose (``MAX_POSTS`` per run): it runs with the suite. For a bigger run, set
``NORTHBOUND_FUZZ_POSTS``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from northbound.app import create_app
from tests.hardening.formfuzz import STATUSES, Form, Post, crawl, posts, send
from tests.support.accounts import FAST_HASHING, PASSWORD
from tests.support.apps import migrated, site_settings

MAX_POSTS = int(os.environ.get("NORTHBOUND_FUZZ_POSTS", "120"))
ANONYMOUS_SEEDS = [
    "/en/account/sign-up", "/fr/compte/inscription", "/en/account/sign-in",
    "/fr/compte/connexion", "/en/account/forgot-password", "/fr/compte/mot-de-passe-oublie",
    "/en/account/reset-password?token=x", "/fr/compte/reinitialiser-mot-de-passe?token=x",
    "/en/eligibility/", "/fr/admissibilite/", "/en/eligibility/find-out/goal",
    "/fr/admissibilite/decouvrez/objectif",
]  # fmt: skip
SIGNED_IN_SEEDS = ["/en/account/", "/fr/compte/", "/en/account/applications/new",
                   "/fr/compte/demandes/nouvelle", "/en/account/password",
                   "/fr/compte/mot-de-passe"]  # fmt: skip


def _client(tmp: Path) -> TestClient:
    app_settings = migrated(site_settings(tmp, accounts=FAST_HASHING))
    return TestClient(create_app(app_settings), raise_server_exceptions=False,
                      follow_redirects=False)  # fmt: skip


def _get(client: TestClient) -> object:
    def get(path: str) -> tuple[int, str]:
        response = client.get(path)
        return response.status_code, response.text

    return get


def _sign_up_and_in(client: TestClient) -> None:
    page = client.get("/en/account/sign-up").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "email": "fuzz@example.com", "password": PASSWORD,
            "confirm": PASSWORD}  # fmt: skip
    assert client.post("/en/account/sign-up", data=form).status_code == 303
    page = client.get("/en/account/sign-in").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = client.post(
        "/en/account/sign-in",
        data={"csrf_token": token, "email": "fuzz@example.com", "password": PASSWORD},
    )
    assert signed_in.status_code == 303
    # an application in progress, so its step, upload and review forms exist too
    page = client.get("/en/account/applications/new").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    key = page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    started = client.post(
        "/en/account/applications/new",
        data={"csrf_token": token, "idempotency_key": key, "kind": "citizenship"},
    )
    assert started.status_code == 303


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, list[Form]]]:
    with _client(tmp_path_factory.mktemp("fuzz-anon")) as client:
        forms = crawl(_get(client), ANONYMOUS_SEEDS)  # type: ignore[arg-type]
        yield client, forms


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, list[Form]]]:
    with _client(tmp_path_factory.mktemp("fuzz-user")) as client:
        _sign_up_and_in(client)
        forms = crawl(_get(client), SIGNED_IN_SEEDS)  # type: ignore[arg-type]
        # signing out with a valid token would end the session the rest depends on
        forms = [f for f in forms if "sign-out" not in f.action and "deconnexion" not in f.action]
        yield client, forms


def _fuzz(client: TestClient, forms: list[Form], seen: Counter[int]) -> None:
    @settings(max_examples=MAX_POSTS, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(post=st.data())
    def run(post: st.DataObject) -> None:
        drawn: Post = post.draw(posts(forms))
        status = send(client, drawn)
        seen[status] += 1
        STATUSES[status] += 1
        assert status < 500, (drawn.form.action, drawn.encoding, drawn.pairs[:5], status)

    run()


def test_anonymous_forms_never_answer_500(anonymous: tuple[TestClient, list[Form]]) -> None:
    client, forms = anonymous
    actions = {f.action for f in forms}
    assert {"/en/account/sign-up", "/fr/compte/connexion", "/en/eligibility/crs-calculator",
            "/fr/admissibilite/presence-effective"} <= actions, actions  # fmt: skip
    seen: Counter[int] = Counter()
    _fuzz(client, forms, seen)
    print(f"anonymous form posts by status: {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= MAX_POSTS // 2 and set(seen) - {500}


def test_signed_in_forms_never_answer_500(signed_in: tuple[TestClient, list[Form]]) -> None:
    client, forms = signed_in
    actions = {f.action for f in forms}
    assert any(a.endswith("/files") or a.endswith("/fichiers") for a in actions), actions
    assert any("/fr/compte/" in a for a in actions), actions
    seen: Counter[int] = Counter()
    _fuzz(client, forms, seen)
    print(f"signed-in form posts by status: {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= MAX_POSTS // 2
