"""A wheel built from the repository runs the store from a fresh virtualenv outside the
checkout (issue 18, item 6): templates, static files and migrations are package data.

The wheel is built from a copy of the working tree (without .git, the virtualenv and build
outputs, so nothing stale of an earlier build gets in) with ``pip wheel --no-deps
--no-build-isolation``: the pinned setuptools of the test extras, no index needed.

It is installed with ``pip install --no-deps --no-index`` into a new virtualenv made without
pip in a temporary folder. Its dependencies are the ones of the environment running the
tests, which installed exactly the versions pyproject.toml pins: a ``.pth`` file appends
that environment's site-packages to the new one's path. A ``.pth`` line only adds a
folder, so the editable install of the checkout living there (a finder that another
``.pth`` file would load) stays off, and the new site-packages comes first: the
store's own packages can only come from the wheel, which the test checks. Installing the
dependencies from an index instead would make this test slow and dependent on the network.

Every command runs with a working directory outside the checkout and no PYTHONPATH: the
schema is migrated with ``flask --app shop db upgrade`` on a fresh SQLite database, then
gunicorn serves the store from the installed package and a page, its stylesheet and a
help page answer 200 in French.
"""

from __future__ import annotations

import os
import shutil
import site
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import free_port
from tests.processes import wait_for_port

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
# What a build must not see: version control, environments, build outputs, local data.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "instance",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "node_modules",
)
STEP_SECONDS = 60
_NOT_PASSED_PREFIXES = ("TEST_", "FLASK_", "GUNICORN_", "CELERY_", "MAIL_", "RATELIMIT_")
_NOT_PASSED = {
    "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL", "INSTANCE_DIR",
}  # fmt: skip


@dataclass(frozen=True)
class Installed:
    python: Path  # the fresh virtualenv's interpreter
    site_packages: Path
    work: Path  # where the commands run, outside the checkout
    env: dict[str, str]


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_SECONDS,
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _environment(work: Path) -> dict[str, str]:
    """The shell's environment without what points at the checkout or the test services."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_NOT_PASSED_PREFIXES) and k not in _NOT_PASSED
    }
    env.update(
        DATABASE_URL=f"sqlite:///{work / 'shop.db'}",
        INSTANCE_DIR=str(work / "instance"),
        SECRET_KEY="wheel-test-secret-key",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    assert not root.resolve().is_relative_to(ROOT), "the test must run outside the checkout"
    source, dist, venv, work = root / "source", root / "dist", root / "venv", root / "work"
    work.mkdir()

    shutil.copytree(ROOT, source, ignore=_NOT_SOURCES)
    _run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", "--wheel-dir", dist, source,
        cwd=root,
    )  # fmt: skip
    (wheel,) = dist.glob("cgos_loisirs-*.whl")

    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    site_packages = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root
        ).strip()
    )
    ours = site.getsitepackages()  # this environment's, and the system's if it sees them
    (site_packages / "test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel,
        cwd=root,
    )  # fmt: skip
    return Installed(python, site_packages, work, _environment(work))


def test_the_store_s_packages_come_from_the_wheel(installed: Installed) -> None:
    where = _run(
        installed.python,
        "-c",
        "import auth, catalog, demo, orders, partners, shop, support, vacations\n"
        "for m in (auth, catalog, demo, orders, partners, shop, support, vacations):\n"
        "    print(m.__file__)",
        cwd=installed.work,
        env=installed.env,
    ).split()
    assert len(where) == 8
    for path in where:
        assert Path(path).is_relative_to(installed.site_packages), path
    packaged = installed.site_packages
    for folder in ("shop/templates", "shop/static", "migrations"):
        # Every template, static file and migration, whatever its type (a new kind of file
        # needs its pattern in pyproject.toml's package-data).
        assert _files(packaged / folder) == _files(ROOT / folder), folder
    assert not (packaged / "tests").exists()
    assert not (packaged / "bench").exists()


def test_the_installed_store_migrates_a_fresh_database_and_serves_pages(
    installed: Installed,
) -> None:
    flask = (installed.python, "-m", "flask", "--app", "shop")
    commands = _run(*flask, "--help", cwd=installed.work, env=installed.env)
    for name in ("access-code", "catalog", "db", "dossier", "health", "jobs", "partner"):
        assert f"  {name} " in commands, commands
    assert "seed-demo" in commands

    out = _run(*flask, "db", "upgrade", cwd=installed.work, env=installed.env)
    assert "Base à jour (head)." in out
    assert "(head)" in _run(*flask, "db", "current", cwd=installed.work, env=installed.env)
    with sqlite3.connect(installed.work / "shop.db") as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert {"orders", "offers", "outbox_mails"} <= tables

    with _gunicorn(installed) as base:
        page = _get(f"{base}/connexion")
        assert '<html lang="fr">' in page
        assert "Connectez-vous à la billetterie" in page
        assert "/static/css/shop.css" in page
        assert "body" in _get(f"{base}/static/css/shop.css")
        assert "— CGOS Loisirs</title>" in _get(f"{base}/aide")
    # Local data goes to INSTANCE_DIR, never into site-packages.
    assert (installed.work / "instance").is_dir()
    assert not (installed.site_packages / "instance").exists()


def _files(folder: Path) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and not path.name.startswith(".")  # an editor's swap file, say
        and not path.name.endswith("~")
    }


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200, url
        return response.read().decode("utf-8")


@contextmanager
def _gunicorn(installed: Installed) -> Iterator[str]:
    """gunicorn serving ``shop:create_app()`` from the installed package on a free port."""
    port = free_port()
    log = installed.work / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                str(installed.python), "-m", "gunicorn", "--workers", "1",
                "--bind", f"127.0.0.1:{port}", "shop:create_app()",
            ],
            cwd=installed.work,
            env=installed.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        try:
            wait_for_port(port, timeout=STEP_SECONDS)
        except AssertionError:
            raise AssertionError(log.read_text()) from None
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
