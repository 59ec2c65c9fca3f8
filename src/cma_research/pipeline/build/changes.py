"""What changed in the paper since the previous build of the same study.

Every build compares its named values (``values.json``) and the claims audit's
verdicts with those of the previous build into the same output folder and writes
``changes.html`` (and ``changes.json``, which the next build reads): each value whose
printed text changed, old -> new, with the manuscript sentences it stands in and the
reason when the build knows it (the reasons its notebook ran again: ``returns file
changed``, ``parameter seed changed``, ``notebook code changed``, ``cma_research source
changed``); values added or removed; values whose number changed below the printed
precision; each claim whose verdict changed. :meth:`Changes.line` is the build's one
line: ``paper: 3 numbers changed, 1 claim verdict changed``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cma_research.reporting.values import NamedValue

__all__ = [
    "Changes",
    "ValueChange",
    "VerdictChange",
    "changes_html",
    "compare",
    "read_state",
    "state_json",
]


@dataclass(frozen=True)
class ValueChange:
    """One named value that differs from the previous build.

    ``kind`` is ``changed`` (the printed text changed), ``precision`` (the number
    changed but prints the same), ``added`` or ``removed``.
    """

    name: str
    kind: str
    old: str
    new: str
    notebook: str
    reason: str
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerdictChange:
    """A claim whose verdict differs from the previous build's (``""``: not audited)."""

    claim_id: str
    old: str
    new: str
    reason: str


@dataclass
class Changes:
    """The differences between this build and the previous one of the same study."""

    first_build: bool
    values: list[ValueChange] = field(default_factory=list)
    verdicts: list[VerdictChange] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ValueChange]:
        return [c for c in self.values if c.kind == kind]

    def line(self) -> str:
        """The build's one line about the paper.

        >>> Changes(False, [ValueChange("a", "changed", "1", "2", "00", "")]).line()
        'paper: 1 number changed, 0 claim verdicts changed'
        >>> Changes(True).line()
        'paper: first build of this study, nothing to compare with'
        """
        if self.first_build:
            return "paper: first build of this study, nothing to compare with"
        n = len(self.of_kind("changed"))
        v = len(self.verdicts)
        text = (
            f"paper: {n} number{'s' if n != 1 else ''} changed, "
            f"{v} claim verdict{'s' if v != 1 else ''} changed"
        )
        extra = [
            f"{len(self.of_kind(k))} {word}"
            for k, word in (("added", "added"), ("removed", "removed"))
            if self.of_kind(k)
        ]
        return text + (f" (values {', '.join(extra)})" if extra else "")


def _reason(notebook: str, reasons: Mapping[str, Sequence[str]]) -> str:
    why = list(reasons.get(notebook, ()))
    return ", ".join(why) if why else "not known (its notebook was not run again)"


def compare(
    old_values: Mapping[str, NamedValue] | None,
    new_values: Mapping[str, NamedValue],
    old_verdicts: Mapping[str, str] | None,
    new_verdicts: Mapping[str, str],
    *,
    reasons: Mapping[str, Sequence[str]] | None = None,
    sentences: Mapping[str, Sequence[str]] | None = None,
    verdict_notebook: str = "",
) -> Changes:
    """Compare one build's values and verdicts with the previous build's.

    Parameters
    ----------
    old_values, old_verdicts : mapping or None
        The previous build's (None: there was none).
    new_values, new_verdicts : mapping
        This build's; verdicts are claim id -> verdict.
    reasons : mapping, optional
        Notebook name -> why it ran again (the build cache's reasons).
    sentences : mapping, optional
        Value name -> the manuscript sentences it stands in.
    verdict_notebook : str
        The notebook that audited the claims (for the reason of a verdict change).
    """
    if old_values is None and old_verdicts is None:
        return Changes(True)
    why = reasons or {}
    said = sentences or {}
    old = old_values or {}
    changes = Changes(False)
    for name in sorted(set(old) | set(new_values)):
        before, after = old.get(name), new_values.get(name)
        if before is not None and after is not None:
            if before.text != after.text:
                kind = "changed"
            elif before.value != after.value:
                kind = "precision"
            else:
                continue
        else:
            kind = "added" if before is None else "removed"
        notebook = str((after or before).notebook or "")  # type: ignore[union-attr]
        changes.values.append(
            ValueChange(
                name,
                kind,
                before.text if before else "",
                after.text if after else "",
                notebook,
                _reason(notebook, why),
                tuple(said.get(name, ())),
            )
        )
    previous = old_verdicts or {}
    for cid in sorted(set(previous) | set(new_verdicts)):
        a, b = previous.get(cid, ""), new_verdicts.get(cid, "")
        if a != b:
            changes.verdicts.append(VerdictChange(cid, a, b, _reason(verdict_notebook, why)))
    return changes


def state_json(
    values: Mapping[str, NamedValue],
    verdicts: Mapping[str, str],
    notebook_parts: Mapping[str, Mapping[str, str]],
    changes: Changes,
) -> bytes:
    """``changes.json``: this build's verdicts and notebook key parts (what the next
    build compares with; the values are in ``values.json``) and the changes found."""
    data: dict[str, Any] = {
        "verdicts": dict(sorted(verdicts.items())),
        "notebooks": {k: dict(sorted(v.items())) for k, v in sorted(notebook_parts.items())},
        "values": sorted(values),
        "summary": changes.line(),
        "first_build": changes.first_build,
        "value_changes": [c.__dict__ | {"sentences": list(c.sentences)} for c in changes.values],
        "verdict_changes": [c.__dict__ for c in changes.verdicts],
    }
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def read_state(path: str | Path) -> dict[str, Any]:
    """The previous build's ``changes.json`` ({} when there is none or it is unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def changes_html(changes: Changes, *, study: str, has_paper: bool) -> str:
    """``changes.html``: the changes in words, one table per kind (jinja2 template)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cma_research.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("changes.html.j2").render(
        changes=changes,
        line=changes.line(),
        study=study,
        has_paper=has_paper,
        changed=changes.of_kind("changed"),
        precision=changes.of_kind("precision"),
        added=changes.of_kind("added"),
        removed=changes.of_kind("removed"),
    )
