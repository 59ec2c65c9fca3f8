"""What a build did: one record per notebook run, and the build's result."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BuildResult", "NotebookRun"]


@dataclass
class NotebookRun:
    """The outcome of one notebook."""

    name: str
    ok: bool
    seconds: float
    error: str = ""
    outputs: list[Path] = field(default_factory=list)
    reused: bool = False  # restored from the build cache instead of executed
    key: str = ""  # the cache key of its inputs (see cma_research.pipeline.build.cache)
    reason: str = ""  # "cached", or "re-run: <why>"
    kernel_start: str = ""  # "warm" (forked from the preload process) or "fresh"
    # where the seconds went: cells, kernel_and_papermill (start, stop), html_and_writing
    phases: dict[str, float] = field(default_factory=dict)


@dataclass
class BuildResult:
    """What :func:`build` did: per-notebook runs and the manifest written."""

    runs: list[NotebookRun]
    output_dir: Path
    manifest: dict[str, Any]
    plan: list[str] = field(default_factory=list)  # one line per notebook: cached / re-run
    inputs: dict[str, str] = field(default_factory=dict)  # input files used (absolute)
    paper: str = ""  # the paper step's line: "paper: 3 numbers changed, ..." (see .manuscript)
    paper_error: str = ""  # why the study's manuscript could not be rendered
    # the parameters the first notebook received (input paths absolute)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every notebook succeeded and the manuscript (if any) rendered."""
        return all(r.ok for r in self.runs) and not self.paper_error

    def summary(self) -> str:
        """One line per notebook, then the overall verdict."""
        lines = [
            f"  {'ok    ' if r.ok else 'FAILED'} {r.name} "
            + ("(cached)" if r.reused else f"({r.seconds:.1f} s)")
            + (f": {r.error}" if r.error else "")
            for r in self.runs
        ]
        failed = [r.name for r in self.runs if not r.ok]
        if self.paper_error:
            lines.append(f"  FAILED manuscript: {self.paper_error}")
            failed.append("manuscript")
        if self.paper:
            lines.append(self.paper)
        verdict = (
            f"build failed: {', '.join(failed)}"
            if failed
            else f"build ok: {len(self.runs)} notebooks"
        )
        where = self.output_dir / "index.html"
        with contextlib.suppress(ValueError):
            where = where.relative_to(Path.cwd())
        return "\n".join([*lines, verdict, f"reports: {where}"])
