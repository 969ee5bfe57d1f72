"""surge/ is a layer the site uses, never the other way round: nothing in it imports the site,
and the site's names (its metrics namespace, its cookies, its brand) are handed in."""

from __future__ import annotations

import ast
from pathlib import Path

import northbound.surge

SURGE = Path(northbound.surge.__file__).parent


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def test_surge_imports_nothing_from_the_site() -> None:
    reaching_up = {
        f"{path.relative_to(SURGE)}: {module}"
        for path in SURGE.rglob("*.py")
        for module in _imports(path)
        if module.split(".")[0] == "northbound" and not module.startswith("northbound.surge")
    }
    assert not reaching_up


def test_surge_spells_no_metric_of_the_site() -> None:
    spelled = [
        str(path.relative_to(SURGE))
        for path in SURGE.rglob("*.py")
        if "northbound_" in path.read_text(encoding="utf-8")
    ]
    assert not spelled
