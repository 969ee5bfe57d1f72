"""Traffic goes only to this machine unless --allow-remote; each person has an address."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from northbound.cli import cli
from northbound.lab.addresses import RemoteTarget, check_target, person_address


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/", "http://localhost:9", "http://[::1]:80", "http://127.8.9.10"]
)
def test_loopback_targets_are_accepted(url: str) -> None:
    assert check_target(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1:8000",
        "https://192.0.2.7",
        "http://example.invalid",
        "ftp://127.0.0.1",
        "127.0.0.1",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(RemoteTarget):
        check_target(url)


def test_allow_remote_lets_an_operator_flood_their_own_remote_site() -> None:
    assert check_target("http://10.0.0.1:8000", allow_remote=True) == "http://10.0.0.1:8000"


def test_the_command_refuses_a_remote_target_before_sending_anything(tmp_path: object) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "lab",
            "run",
            "--target",
            "http://192.0.2.7:8000",
            "--out",
            str(tmp_path),
            "--duration",
            "5",
        ],
    )
    assert result.exit_code == 2 and "--allow-remote" in result.output


def test_each_person_has_their_own_loopback_address() -> None:
    addresses = [person_address(i) for i in range(100_000)]
    assert len(set(addresses)) == len(addresses)
    assert addresses[0] == "127.0.1.1" and addresses[254] == "127.0.2.1"
    for address in addresses[::997]:
        parts = [int(p) for p in address.split(".")]
        assert parts[0] == 127 and (parts[1], parts[2]) != (0, 0) and 1 <= parts[3] <= 254
