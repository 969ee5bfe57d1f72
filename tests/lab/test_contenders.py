"""The sites lab compare starts: each comes up with fresh data, answers, and goes away; the
limits the operations-team contenders use are what the docs say."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from northbound.lab import contenders
from northbound.lab.compare import order
from tests.support.services import REQUIRE_SERVICES


def _nginx() -> str:
    binary = contenders.nginx_binary()
    if binary is None:
        if REQUIRE_SERVICES:
            pytest.fail("nginx is not installed (scripts/test-deps installs it)")
        pytest.skip("nginx is not installed")
    return binary


def test_unprotected_runs_first_and_unknown_contenders_are_refused() -> None:
    assert order(["protected", "nginx-limit", "unprotected"])[0] == "unprotected"
    with pytest.raises(ValueError, match="unknown contenders"):
        order(["protected", "haproxy"])


def test_limits_are_one_second_of_capacity() -> None:
    assert contenders.Tuning(120.4).concurrency == 121
    assert contenders.Tuning(3.0).concurrency == 16  # never below a handful of workers


def test_the_nginx_configuration_is_valid(tmp_path: Path) -> None:
    binary = _nginx()
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / kind).mkdir()
    config = tmp_path / "nginx.conf"
    config.write_text(contenders.nginx_config(tmp_path, 18080, 18081, contenders.Tuning(42)))
    text = config.read_text()
    assert "rate=42r/s" in text and "limit_conn site_conn 42" in text
    checked = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_tuned_contenders_need_the_capacity(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="capacity"), contenders.start("nginx-limit", tmp_path):
        pass


@pytest.mark.slow
@pytest.mark.parametrize("name", contenders.CONTENDERS)
def test_each_contender_serves_with_fresh_data_and_stops(name: str, tmp_path: Path) -> None:
    if name == "nginx-limit":
        _nginx()
    with contenders.start(name, tmp_path / name, contenders.Tuning(30)) as site:
        with urllib.request.urlopen(site.url + "/en/", timeout=10) as response:
            assert response.status == 200
        assert (tmp_path / name / "data" / "northbound.db").exists()
        assert site.database_url.endswith(f"{name}/data/northbound.db")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(site.url + "/en/", timeout=2)
