"""deploy/prometheus and deploy/grafana: rules promtool accepts and proves, a scrape config it
accepts, and no query naming a metric the site does not export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import northbound.app  # noqa: F401 - importing the app registers every metric it exports
from tests.support.services import REQUIRE_SERVICES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\bnorthbound_[a-z0-9_]+")


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if REQUIRE_SERVICES:
            pytest.fail("promtool is not installed (scripts/test-deps installs prometheus)")
        pytest.skip("promtool is not installed")
    return found


def exported_names() -> set[str]:
    """Every sample name the site's registry can produce, labelled families included."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        for suffix in ("_total", "_created", "_bucket", "_sum", "_count"):
            names.add(family.name + suffix)
    return names


def test_alert_rules_pass_promtool_check_and_their_unit_tests() -> None:
    promtool = _promtool()
    checked = subprocess.run(
        [promtool, "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "7 rules found" in checked.stdout
    proved = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"],
        cwd=DEPLOY / "prometheus",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proved.returncode == 0, proved.stdout + proved.stderr


def test_a_broken_rule_is_caught(tmp_path: Path) -> None:
    promtool = _promtool()
    text = (DEPLOY / "prometheus" / "alerts.yml").read_text()
    broken = tmp_path / "alerts.yml"
    broken.write_text(text.replace("> 0\n", "> \n", 1))
    result = subprocess.run(
        [promtool, "check", "rules", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0


def test_the_scrape_configuration_passes_promtool(tmp_path: Path) -> None:
    promtool = _promtool()
    token = tmp_path / "token"
    token.write_text("scrape-token-0123456789abcdef\n")
    config = (
        (DEPLOY / "prometheus" / "prometheus.yml")
        .read_text()
        .replace("/etc/prometheus/northbound-metrics-token", str(token))
    )
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    result = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _rule_expressions() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def _dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "northbound.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_every_metric_queried_is_exported_by_the_site(source: str) -> None:
    expressions = _rule_expressions() if source == "alerts" else _dashboard_expressions()
    used = {name for expr in expressions for name in METRIC.findall(expr)}
    assert len(used) >= 8
    missing = used - exported_names()
    assert not missing, f"{source} queries metrics the site does not export: {missing}"


def test_the_check_would_notice_a_misspelt_metric() -> None:
    assert "northbound_http_request_total" not in exported_names()  # no s: not exported
    assert "northbound_http_requests_total" in exported_names()


def test_the_dashboard_covers_the_console() -> None:
    titles = " ".join(
        panel["title"].lower()
        for panel in json.loads((DEPLOY / "grafana" / "northbound.json").read_text())["panels"]
    )
    for figure in (
        "status",
        "goodput",
        "p99",
        "concurrency limit",
        "shed",
        "waiting line",
        "admitted per minute",
        "estimate error",
        "database and redis",
        "instances",
    ):
        assert figure in titles, figure


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_alert_links_to_a_runbook_section() -> None:
    runbook = (DEPLOY.parent / "docs" / "runbook.md").read_text()
    anchors = {_slug(line.lstrip("#")) for line in runbook.splitlines() if line.startswith("#")}
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    links = [rule["annotations"]["runbook"] for group in rules["groups"] for rule in group["rules"]]
    assert links and all(link.startswith("docs/runbook.md#") for link in links)
    missing = {link for link in links if link.split("#", 1)[1] not in anchors}
    assert not missing, f"runbook sections missing: {missing}"
