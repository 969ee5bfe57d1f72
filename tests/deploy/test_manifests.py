"""Containers and Kubernetes: manifests the API schema accepts, probes on the right paths,
keys from a Secret, no root, and the compose file's nginx configuration kept equal to the
template it is generated from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from northbound.ops.cluster.nginx import render

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
VALIDATE = Path(sys.executable).with_name("kubernetes-validate")


def _documents() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[f"{document['kind']}/{document['metadata']['name']}"] = document
    return found


def test_every_manifest_passes_kubernetes_validate_strict() -> None:
    assert VALIDATE.exists(), "pip install -e '.[test]' installs kubernetes-validate"
    files = sorted(str(p) for p in KUBERNETES.glob("*.yaml"))
    result = subprocess.run(
        [str(VALIDATE), "--strict", "-k", "1.29.0", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == len(_documents())


def test_the_validator_refuses_a_wrong_manifest(tmp_path: Path) -> None:
    broken = tmp_path / "deployment.yaml"
    broken.write_text(
        (KUBERNETES / "deployment.yaml").read_text().replace("readinessProbe:", "readynessProbe:")
    )
    result = subprocess.run(
        [str(VALIDATE), "--strict", "-k", "1.29.0", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0


def test_the_deployment_is_wired_as_the_runbook_says() -> None:
    documents = _documents()
    kinds = {name.split("/")[0] for name in documents}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "ConfigMap",
        "Job",
    } <= kinds
    pod = documents["Deployment/northbound"]["spec"]["template"]["spec"]
    site = pod["containers"][0]
    assert site["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert site["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert {"secretRef": {"name": "northbound-keys"}} in site["envFrom"]
    secret = documents["Secret/northbound-keys"]["stringData"]
    assert set(secret) >= {"NORTHBOUND_SECRET_KEY", "NORTHBOUND_PREVIOUS_SECRET_KEYS"}
    assert secret["NORTHBOUND_SECRET_KEY"] == ""  # never a real key in the repository
    externals = [
        d
        for n, d in documents.items()
        if n.startswith("Service/") and d["spec"].get("type") == "ExternalName"
    ]
    assert {d["metadata"]["name"] for d in externals} == {"northbound-postgres", "northbound-redis"}
    ingress = documents["Ingress/northbound"]["metadata"]["annotations"]
    assert (
        "location = /metrics { return 404; }"
        in ingress["nginx.ingress.kubernetes.io/server-snippet"]
    )


def test_the_dockerfile_runs_slim_and_not_as_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert stages and all("-slim" in line for line in stages)
    user = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user and user[-1].split()[1].split(":")[0] not in ("0", "root")
    assert "HEALTHCHECK" in text and "/healthz" in text


def test_compose_nginx_config_is_the_template_filled_in(tmp_path: Path) -> None:
    committed = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    fresh = render("8080", ["site:8000"], Path("/var/cache/nginx/northbound"), user="nginx")
    assert committed == fresh, (
        "deploy/compose/nginx.conf is stale: regenerate it with "
        "`northbound cluster nginx-config --upstream site:8000`"
    )
    compose = yaml.safe_load((ROOT / "deploy" / "compose" / "compose.yaml").read_text())
    assert set(compose["services"]) == {"postgres", "redis", "migrate", "site", "nginx"}
    assert "--appendonly" in compose["services"]["redis"]["command"]


def test_the_package_ships_every_console_template() -> None:
    """A wheel (the Docker image) must carry the console's templates, not only a checkout."""
    import glob
    import tomllib

    package = ROOT / "src" / "northbound"
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["northbound"]
    shipped = {
        Path(found)
        for pattern in patterns
        for found in glob.glob(str(package / pattern), recursive=True)
    }
    templates = set((package / "ops" / "console" / "templates").rglob("*.html"))
    assert templates and templates <= shipped
