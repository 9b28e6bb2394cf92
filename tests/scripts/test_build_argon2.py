"""``bin/build-argon2`` (README, Production): the Argon2 bindings compiled for the host's
CPU, or PyPI's wheel put back when that fails. Run in a throwaway virtualenv."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def argon2_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv holding only argon2-cffi at the store's pinned versions."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the build script targets the Linux hosts of the README")
    path = tmp_path_factory.mktemp("argon2") / "venv"
    venv.EnvBuilder(with_pip=True).create(path)
    done = subprocess.run(
        [
            str(path / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"argon2-cffi=={version('argon2-cffi')}",
            f"argon2-cffi-bindings=={version('argon2-cffi-bindings')}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        # Like the script on a host, this needs the package index (bin/test installs from
        # it too); without it there is nothing to build.
        pytest.skip(f"package index unreachable: {done.stderr[-300:]}")
    return path


def _build(venv_path: Path, march: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "bin" / "build-argon2")],
        env=dict(os.environ, VENV=str(venv_path), ARGON2_MARCH=march),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _verify_ms(out: str) -> float:
    line = next(x for x in out.splitlines() if "CPU par vérification" in x)
    return float(line.split(":")[1].split("ms")[0].replace(",", "."))


def test_r_gate_3_build_for_an_avx2_host_gives_the_same_hashes(argon2_venv):
    """The script's own check asserts two known hashes before it reports success."""
    done = _build(argon2_venv, "x86-64-v3" if _has_avx2() else "x86-64")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ATTENTION" not in done.stderr
    assert _verify_ms(done.stdout) > 0
    assert "manylinux" not in _wheel_tags(argon2_venv)  # built here


def test_r_gate_3_failed_build_puts_the_wheel_back(argon2_venv):
    """A target the compiler refuses: a warning, PyPI's wheel again, still verifying the
    known hashes, and a zero status so that a deployment goes on."""
    done = _build(argon2_venv, "no-such-cpu")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ATTENTION" in done.stderr
    assert _verify_ms(done.stdout) > 0
    assert "manylinux" in _wheel_tags(argon2_venv)  # PyPI's


def _wheel_tags(venv_path: Path) -> str:
    """The platform tags of the installed bindings: ``manylinux…`` for PyPI's wheel,
    ``linux_x86_64`` for one built on this host."""
    return subprocess.run(
        [
            str(venv_path / "bin" / "python"),
            "-c",
            "from importlib.metadata import distribution; "
            "print(distribution('argon2-cffi-bindings').read_text('WHEEL'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _has_avx2() -> bool:
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
