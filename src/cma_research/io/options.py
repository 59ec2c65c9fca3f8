"""Loader options given as plain text (build parameters, notebook parameters, the CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cma_research.core.errors import ParameterError

__all__ = ["LOADER_OPTIONS", "loader_options"]

#: Parameters passed on to :func:`cma_research.load_returns`.
LOADER_OPTIONS = ("header_row", "sheet", "encoding", "na_values", "aliases", "wave_order")


def loader_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """The :func:`load_returns` keyword arguments among parameters given as text.

    ``na_values`` and ``wave_order`` are comma-separated lists; ``aliases`` is
    ``"Header=role; Other header=role"``. ``None`` means the loader's default.

    >>> loader_options({"header_row": 3, "na_values": "NA, -", "aliases": "Headcount=staff"})
    {'header_row': 3, 'na_values': ['NA', '-'], 'aliases': {'Headcount': 'staff'}}
    """
    out: dict[str, Any] = {}
    for key in LOADER_OPTIONS:
        value = values.get(key)
        if value is None:
            continue
        if key in ("na_values", "wave_order"):
            out[key] = [v.strip() for v in str(value).split(",") if v.strip()]
        elif key == "aliases":
            mapping = {}
            for pair in (p for p in str(value).split(";") if p.strip()):
                header, sep, role = pair.partition("=")
                if not sep or not header.strip() or not role.strip():
                    raise ParameterError(
                        f"parameter 'aliases': {pair.strip()!r} is not 'Header=role'"
                    )
                mapping[header.strip()] = role.strip()
            out[key] = mapping
        else:
            out[key] = value
    return out
