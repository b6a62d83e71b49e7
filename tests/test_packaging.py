"""``pip install .`` ships the app (with migrations and templates) and nothing of the stub."""

from __future__ import annotations

import subprocess
import zipfile

import pytest

from tests.conftest import PYTHON, ROOT


@pytest.mark.slow
def test_the_wheel_holds_the_app_and_not_the_host(tmp_path):
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
            str(ROOT),
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
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        .decode()
    )
    assert 'Requires-Dist: psycopg[binary]>=3.1; extra == "postgres"' in metadata
    assert "Requires-Dist: django-q2" in metadata
