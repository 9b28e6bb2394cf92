"""Extension point: sections of « Mon espace » that belong to domains above members.

members is the lowest domain, so its page cannot read orders; a domain that has something
to show there (orders: the household's yearly cap, R-AGT-1) registers a section when its
blueprint is wired into the app. A section is a template (included with ``section`` set
to what ``build`` returned) and a builder called with the logged-in agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SpaceSection = Callable[[Any], Any]
_SECTIONS: dict[str, tuple[str, SpaceSection]] = {}


def add_space_section(name: str, template: str, build: SpaceSection) -> None:
    """``template`` is shown on « Mon espace » with ``section = build(agent)`` (idempotent
    by name; a builder returning None hides its section)."""
    _SECTIONS[name] = (template, build)


def space_sections(agent: Any) -> list[tuple[str, Any]]:
    shown = []
    for template, build in _SECTIONS.values():
        data = build(agent)
        if data is not None:
            shown.append((template, data))
    return shown
