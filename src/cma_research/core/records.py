"""Records of what was done to a cohort: how it was cleaned, which covariates joined it.

They live in the core beside :class:`~cma_research.core.cohort.Cohort`, which carries
them, so the core type never points up at the modules that produce them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CleaningReport", "CovariateSource"]


@dataclass(frozen=True)
class CleaningReport:
    """What a cleaning strategy did. Never silent: :meth:`summary` says it in one line."""

    strategy: str
    assumption: str
    params: dict[str, Any]
    n_rows_before: int
    n_rows_after: int
    dropped: tuple[tuple[str, int], ...]
    cells_missing_before: int
    cells_filled: int
    cells_missing_after: int
    m: int = 1

    @property
    def n_dropped(self) -> int:
        """Number of (business, wave) returns dropped."""
        return len(self.dropped)

    def summary(self) -> str:
        """One line naming the strategy and what it dropped and filled."""
        params = ", ".join(f"{k}={v}" for k, v in self.params.items() if v is not None)
        head = f"{self.strategy}({params})" if params else self.strategy
        dropped = ", ".join(b if w == 1 else f"{b}@wave{w}" for b, w in self.dropped)
        text = (
            f"{head}: kept {self.n_rows_after} of {self.n_rows_before} returns, "
            f"dropped {self.n_dropped}{f' ({dropped})' if dropped else ''}, "
            f"filled {self.cells_filled} of {self.cells_missing_before} blank cells"
        )
        if self.m > 1:
            text += f" in each of {self.m} imputations"
        return text + f"; {self.cells_missing_after} blank cells remain"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record of the report (for manifests)."""
        return {
            "strategy": self.strategy,
            "assumption": self.assumption,
            "params": dict(self.params),
            "n_rows_before": self.n_rows_before,
            "n_rows_after": self.n_rows_after,
            "dropped": [{"business_id": b, "wave": w} for b, w in self.dropped],
            "cells_missing_before": self.cells_missing_before,
            "cells_filled": self.cells_filled,
            "cells_missing_after": self.cells_missing_after,
            "m": self.m,
            "summary": self.summary(),
        }


@dataclass(frozen=True)
class CovariateSource:
    """Where covariates came from and which businesses lack them."""

    path: str
    sha256: str
    columns: tuple[str, ...]
    missing: dict[str, tuple[str, ...]]  # column -> business ids without a value
    synthetic: bool
    extra_ids: tuple[str, ...] = ()  # ids in the file but not in the cohort (ignored)

    def summary(self) -> str:
        """One line per column: how many businesses have it; then the ignored ids."""
        parts = []
        for col in self.columns:
            lacking = self.missing.get(col, ())
            note = f"; no value for {', '.join(lacking)}" if lacking else ""
            parts.append(f"{col}{note}")
        label = " (SYNTHETIC)" if self.synthetic else ""
        text = f"covariates from {self.path}{label}: " + " | ".join(parts)
        if self.extra_ids:
            text += f"; ignored {len(self.extra_ids)} business(es) not in the cohort: " + ", ".join(
                self.extra_ids
            )
        return text
