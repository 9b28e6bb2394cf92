"""shop/speed/: the speed-ups' package sits below every domain, and its in-process maps
keep a value exactly as long as they say (docs/ARCHITECTURE.md « Speed-ups »)."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from shop.speed.mirror import PageMirror
from shop.speed.recent import MISSING, RecentValues

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = {"auth", "catalog", "orders", "partners", "support", "vacations"}
SOURCE_DIRS = ["shop", *sorted(DOMAINS)]


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "shop" / "speed").glob("*.py")), ids=str)
def test_the_speed_package_imports_no_domain(path: Path) -> None:
    assert not _imported(path) & DOMAINS


def test_no_private_flask_login_attribute_is_used() -> None:
    private = ("_login_user", "_load_user", "_user_callback", "login_manager._")
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for folder in SOURCE_DIRS
        for path in (ROOT / folder).rglob("*.py")
        for name in private
        if name in path.read_text()
    ]
    assert found == []


def test_a_recent_value_lives_its_seconds_from_before_it_was_computed() -> None:
    now = [100.0]
    values = RecentValues(max_items=10, seconds=1.0, clock=lambda: now[0])
    computed = []

    def compute() -> str:
        computed.append(now[0])
        now[0] += 0.3  # computing takes time: the value's age counts from before
        return "v"

    assert values.get_or_compute("k", compute) == "v"
    now[0] = 100.9
    assert values.get("k") == "v"
    now[0] = 101.0
    assert values.get("k") is MISSING
    assert values.get_or_compute("k", compute) == "v" and computed == [100.0, 101.0]


def test_recent_values_are_bounded_least_recently_used_out() -> None:
    values = RecentValues(max_items=2, seconds=60.0)
    at = values.clock()
    values.put("a", 1, at)
    values.put("b", 2, at)
    assert values.get("a") == 1  # "b" is now the least recently used
    values.put("c", 3, at)
    assert (values.get("a"), values.get("b"), values.get("c")) == (1, MISSING, 3)


def test_a_zero_lifetime_keeps_nothing() -> None:
    values = RecentValues(max_items=2, seconds=0.0)
    values.put("a", 1, values.clock())
    assert values.get("a") is MISSING


def test_the_mirror_drops_a_page_when_its_redis_entry_expires() -> None:
    mirror = PageMirror(max_bytes=1000)
    mirror.put("short", b"x" * 10, 0.05)
    mirror.put("long", b"y" * 10, 60)
    assert mirror.get("short") == b"x" * 10
    time.sleep(0.06)
    assert mirror.get("short") is None and mirror.get("long") == b"y" * 10


def test_the_mirror_is_bounded_in_bytes() -> None:
    mirror = PageMirror(max_bytes=800)
    mirror.put("too-big", b"z" * 101, 60)  # over an eighth of the bound: not copied
    assert mirror.get("too-big") is None
    for n in range(10):
        mirror.put(f"p{n}", b"p" * 100, 60)
    assert mirror.size <= 800
    assert mirror.get("p0") is None and mirror.get("p9") == b"p" * 100
