"""JSON from files an operator imports: whatever the file holds, a French reason, never a
traceback (deep nesting, numbers too long to convert; issue 17, defect 11)."""

from __future__ import annotations

import json
from typing import Any


def read_json(text: str, *, one_line: bool = False) -> Any:
    """Parse ``text``; raise ValueError whose message is the French reason (``one_line``:
    a JSON Lines line, whose number the caller gives)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = "" if one_line else f"ligne {exc.lineno}, "
        raise ValueError(f"JSON invalide ({exc.msg}, {where}colonne {exc.colno})") from None
    except RecursionError:
        raise ValueError("JSON trop imbriqué") from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise ValueError("JSON invalide (nombre trop long)") from None
