"""The project builds as a package: `pip wheel --no-deps .` gives a wheel that holds the code and
everything it reads at run time (schema.sql, templates, static files, the LHEO schema, the seeds'
data), and the application starts from it alone, outside the repository."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_the_wheel_holds_what_the_app_reads_and_starts_outside_the_repository(tmp_path):
    """Built, unpacked elsewhere, imported from there: `flask --app wsgi --help` lists our commands and
    `flask db upgrade` creates a base from the wheel's migrations."""
    # setuptools writes build/ and *.egg-info next to the sources: build from a copy so the checkout
    # (and the tests running beside this one) never see them.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "instance", "test-artifacts", "__pycache__", "out", "build", "*.egg-info"))
    built = subprocess.run([str(BIN / "pip"), "wheel", "--no-deps", "--no-build-isolation", "-q", str(source),
                            "-w", str(tmp_path / "dist")], capture_output=True, text=True, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("backoffice-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("wsgi.py", "backoffice/schema.sql", "backoffice/export/xsd/lheo.xsd",
                   "backoffice/templates/admin/action_fiche.html", "backoffice/static/backoffice.css",
                   "backoffice/services/common_passwords.txt", "seeds/data/communes.csv", "jobs/robot.py",
                   "backoffice/migrations/env.py", "backoffice/migrations/script.py.mako",
                   "backoffice/migrations/versions/0001_baseline.py", "backoffice/migrations/versions/0001_baseline.sql"):
        assert needed in names, needed
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    target = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(target)
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    env = {"PATH": str(BIN), "PYTHONPATH": str(target), "BACKOFFICE_INSTANCE": str(elsewhere / "instance")}
    started = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "--help"], capture_output=True, text=True,
                             cwd=elsewhere, env=env)
    assert started.returncode == 0, started.stderr[-2000:]
    assert "lheo-export" in started.stdout and "init-db" in started.stdout
    where = subprocess.run([str(BIN / "python"), "-c", "import backoffice, sys; print(backoffice.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env)
    assert where.stdout.startswith(str(target)), where.stdout
    # the revisions run from the wheel: a new base outside the repository
    env["DATABASE_URL"] = f"sqlite:///{elsewhere / 'base.sqlite'}"
    created = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], capture_output=True, text=True,
                             cwd=elsewhere, env=env)
    assert created.returncode == 0 and "Base créée" in created.stdout, created.stdout + created.stderr[-2000:]
