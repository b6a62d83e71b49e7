"""``pip install .`` ships the app (with migrations and templates) and nothing of the stub or
of the fake Omnium; the app and the fake never import one another."""

from __future__ import annotations

import ast
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PYTHON, ROOT


@pytest.mark.slow
def test_the_wheel_holds_the_app_and_not_the_host(tmp_path):
    # From a copy of the sources: a build/ left in the checkout must not leak into it.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "var", "*.egg-info", "__pycache__"
        ),
    )
    subprocess.run(
        [
            PYTHON,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("omnium_integration-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "omnium_integration/migrations/0001_initial.py" in names
    assert "omnium_integration/jobs/manager.py" in names
    assert "omnium_integration/admin/jobs.py" in names
    assert (
        "omnium_integration/templates/admin/omnium_integration/externalsyncjob/change_list.html"
        in names
    )
    assert not [n for n in names if n.startswith(("flow_stub_project/", "tests/", "bench/"))]
    # The fake Omnium is a distribution of its own (sandbox/), and the connector imitation
    # with its catalogue belongs to the stub host.
    assert not [n for n in names if n.startswith(("sandbox/", "omnium_sandbox/"))]
    assert not [
        n
        for n in names
        if any(word in n.lower() for word in ("sandbox", "connector", "catalogue", "server.py"))
    ]
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        .decode()
    )
    assert 'Requires-Dist: psycopg[binary]>=3.1; extra == "postgres"' in metadata
    assert "Requires-Dist: django-q2" in metadata


def imports(package: Path) -> dict[str, set[str]]:
    """Every absolute module each source file of ``package`` imports, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
            elif (  # importlib.import_module("...") / __import__("...")
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", ""))
                in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
        found[str(path.relative_to(ROOT))] = names
    return found


def offending(package: Path, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        path: sorted(n for n in names if n.split(".")[0] in forbidden)
        for path, names in imports(package).items()
        if any(n.split(".")[0] in forbidden for n in names)
    }


def test_the_app_and_the_fake_omnium_never_import_one_another():
    app, fake = ROOT / "omnium_integration", ROOT / "sandbox" / "omnium_sandbox"
    assert len(imports(app)) > 50 and len(imports(fake)) >= 6  # the walk found them
    assert offending(app, ("omnium_sandbox",)) == {}
    assert offending(fake, ("omnium_integration", "django", "flow_stub_project", "tests")) == {}


def test_the_stub_hosts_connector_does_not_borrow_the_apps_rules():
    connector = ROOT / "flow_stub_project" / "connector"
    assert len(imports(connector)) >= 3
    assert offending(connector, ("omnium_integration", "omnium_sandbox", "django")) == {}
