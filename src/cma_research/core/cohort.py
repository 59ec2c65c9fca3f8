"""The cohort: audit scores of many businesses (and waves) against one instrument."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cma_research.core.errors import ParameterError, shorten, shorten_list
from cma_research.core.instrument import Instrument

__all__ = ["CleaningReport", "Cohort", "CovariateSource", "Source"]

INDEX_NAMES = ["business_id", "wave"]


# Records of what was done to a cohort (how it was cleaned, which covariates joined it):
# the cohort carries them.


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
    derived: tuple[tuple[str, str], ...] = ()  # (column, formula) computed from the others

    def summary(self) -> str:
        """One line per column: how many businesses have it (and a derived column's
        formula); then the ignored ids."""
        parts = []
        formulas = dict(self.derived)
        for col in self.columns:
            lacking = self.missing.get(col, ())
            note = f"; no value for {', '.join(lacking)}" if lacking else ""
            how = f" = {formulas[col]}" if col in formulas else ""
            parts.append(f"{col}{how}{note}")
        label = " (SYNTHETIC)" if self.synthetic else ""
        text = f"covariates from {self.path}{label}: " + " | ".join(parts)
        if self.extra_ids:
            text += f"; ignored {len(self.extra_ids)} business(es) not in the cohort: " + ", ".join(
                self.extra_ids
            )
        return text


@dataclass(frozen=True)
class Source:
    """Where a cohort came from: the file, its SHA-256 and how it was read.

    ``notes`` are what a reader of the file should know that is not an error (a wave
    column with nearly as many values as returns, free text kept by stage), in words.
    """

    path: str
    sha256: str
    form: str = "wide"
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The source as plain JSON-ready values (``notes`` only when there are some)."""
        out: dict[str, Any] = {
            "path": self.path,
            "sha256": self.sha256,
            "form": self.form,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "header_row": self.header_row,
        }
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True, eq=False)
class Cohort:
    """Scores and attributes of audited businesses, validated against an instrument.

    Both tables are indexed by ``(business_id, wave)``; a file without waves gets
    wave 1 for every row. The ``wave`` index level is always an integer code: the wave
    number itself when the file numbered its waves, else the rank 1..k of the wave in
    :attr:`wave_labels` (labels such as ``Baseline`` / ``Follow-up``, or audit dates).

    Attributes
    ----------
    scores : DataFrame
        One ``Int64`` column per stage (``stage_1`` ...), in instrument order.
        ``<NA>`` means *not assessed*, which is never the same as level 0.
    attributes : DataFrame
        Business attributes: ``staff`` (``Int64`` headcount), ``business_type``
        (string) and any other columns of the file, kept as text.
    instrument : Instrument
    source : Source
    cleaning : CleaningReport or None
        Set when the cohort is the result of :func:`cma_research.clean`.
    covariate_sources : tuple of CovariateSource
        Files merged in by :func:`cma_research.load_covariates`.
    wave_labels : tuple of str
        The wave labels in order; wave code ``r`` is ``wave_labels[r - 1]``. Empty
        (the default) means the codes are wave numbers and their labels are the
        numbers as text (``"1"``, ``"2"`` ...).
    """

    scores: pd.DataFrame
    attributes: pd.DataFrame
    instrument: Instrument
    source: Source
    cleaning: CleaningReport | None = field(default=None)
    covariate_sources: tuple[CovariateSource, ...] = ()
    wave_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(set(self.wave_labels)) != len(self.wave_labels):
            raise ParameterError(f"wave_labels must be distinct, got {self.wave_labels}")
        if self.wave_labels:
            codes = self._wave_codes()
            bad = [c for c in codes if not 1 <= c <= len(self.wave_labels)]
            if bad:
                raise ParameterError(
                    f"wave codes {bad} have no label in wave_labels={self.wave_labels}; "
                    f"expected codes 1 to {len(self.wave_labels)}"
                )
        if list(self.scores.columns) != self.instrument.stage_ids:
            raise ParameterError(
                "scores columns must be the instrument's stages in order "
                f"{self.instrument.stage_ids}, got {list(self.scores.columns)}"
            )
        if not self.scores.index.equals(self.attributes.index):
            raise ParameterError("scores and attributes must share the same index")

    # -- shape -----------------------------------------------------------------
    @property
    def n_businesses(self) -> int:
        """Number of distinct businesses (across all waves)."""
        return int(self.scores.index.get_level_values("business_id").nunique())

    def _wave_codes(self) -> list[int]:
        """The integer wave codes present in the index, ascending."""
        return sorted(int(w) for w in self.scores.index.get_level_values("wave").unique())

    @property
    def waves(self) -> tuple[str, ...]:
        """The labels of the audit waves present, in wave order, e.g. ``("1",)``.

        A file with numbered waves gives the numbers as text (``("1", "2")``); one
        with labels or dates gives those (``("Baseline", "Follow-up")``).
        """
        return tuple(self.wave_label(c) for c in self._wave_codes())

    def wave_label(self, rank: int) -> str:
        """The label of the wave whose code in the ``wave`` index level is ``rank``.

        Raises
        ------
        ParameterError
            When there is no such wave code.
        """
        if self.wave_labels:
            if isinstance(rank, int | np.integer) and 1 <= rank <= len(self.wave_labels):
                return self.wave_labels[int(rank) - 1]
            raise ParameterError(
                f"wave code {rank!r} is not in this cohort; expected 1 to "
                f"{len(self.wave_labels)} (waves {', '.join(self.wave_labels)})"
            )
        if isinstance(rank, int | np.integer) and not isinstance(rank, bool) and rank >= 1:
            return str(int(rank))
        raise ParameterError(f"wave code {rank!r} is not a positive whole number")

    def wave_rank(self, wave: str | int) -> int:
        """The integer code in the ``wave`` index level of a wave given by label or code.

        Raises
        ------
        ParameterError
            When ``wave`` is not one of this cohort's waves (by label or code),
            listing the allowed ones.
        """
        codes = self._wave_codes()
        if isinstance(wave, int | np.integer) and not isinstance(wave, bool):
            if int(wave) in codes:
                return int(wave)
        elif isinstance(wave, str):
            by_label = {self.wave_label(c): c for c in codes}
            if wave in by_label:
                return by_label[wave]
            folded = {k.casefold(): v for k, v in by_label.items()}
            if wave.strip().casefold() in folded:
                return folded[wave.strip().casefold()]
        allowed = shorten_list([self.wave_label(c) for c in codes])
        shown = repr(shorten(wave)) if isinstance(wave, str) else repr(wave)
        raise ParameterError(
            f"wave={shown} is not in this cohort; expected one of {allowed} "
            f"(or the wave code {shorten_list(codes).replace(chr(39), '')})"
        )

    @property
    def stage_ids(self) -> list[str]:
        """The score columns (the instrument's stage ids)."""
        return self.instrument.stage_ids

    def __len__(self) -> int:
        return len(self.scores)

    def __repr__(self) -> str:
        n_cells = self.scores.size
        n_missing = int(self.scores.isna().sum().sum())
        cleaned = f", cleaned={self.cleaning.strategy!r}" if self.cleaning else ""
        return (
            f"<Cohort {self.instrument.name}: {self.n_businesses} businesses, "
            f"{len(self.waves)} wave(s), {len(self.stage_ids)} {self.instrument.stage_noun}s, "
            f"{n_missing} of {n_cells} cells not assessed{cleaned}; source {self.source.path}>"
        )

    def select_wave(self, wave: str | int) -> Cohort:
        """The returns of one audit wave only.

        Parameters
        ----------
        wave : str or int
            A label of :attr:`waves` (``"Baseline"``, ``"2"``) or the integer code of
            the wave in the ``wave`` index level (the wave number, or its rank when the
            waves are labels or dates).

        Raises
        ------
        ParameterError
            When ``wave`` is not one of :attr:`waves`.

        Examples
        --------
        >>> from cma_research.datasets import bundled_path
        >>> from cma_research import load_returns
        >>> load_returns(bundled_path("customer_wise_2007.csv")).select_wave("1").waves
        ('1',)
        """
        code = self.wave_rank(wave)
        mask = self.scores.index.get_level_values("wave") == code
        return replace(self, scores=self.scores.loc[mask], attributes=self.attributes.loc[mask])

    def paired(self, baseline: str | int, follow_up: str | int) -> Cohort:
        """Both waves, for only the businesses audited at both.

        Parameters
        ----------
        baseline, follow_up : str or int
            Two different waves, by label or code (see :meth:`select_wave`).

        Returns
        -------
        Cohort
            The rows of the two waves for the businesses present in both, baseline
            rows first (each in file order).

        Raises
        ------
        ParameterError
            When a wave is unknown (listing the allowed labels) or both are the same.
        """
        b, f = self.wave_rank(baseline), self.wave_rank(follow_up)
        if b == f:
            raise ParameterError(
                f"baseline={baseline!r} and follow_up={follow_up!r} are the same wave "
                f"({self.wave_label(b)!r}); expected two different waves of "
                + ", ".join(repr(w) for w in self.waves)
            )
        ids = self.scores.index.get_level_values("business_id")
        waves = self.scores.index.get_level_values("wave")
        both = set(ids[waves == b]) & set(ids[waves == f])
        in_both = ids.isin(list(both))
        order = np.concatenate(
            [np.flatnonzero(in_both & (waves == b)), np.flatnonzero(in_both & (waves == f))]
        )
        return replace(self, scores=self.scores.iloc[order], attributes=self.attributes.iloc[order])

    def subset(self, mask: pd.Series | Any) -> Cohort:
        """The rows where ``mask`` (aligned on the cohort index) is true."""
        keep = pd.Series(mask, index=self.scores.index).astype(bool).to_numpy()
        return replace(self, scores=self.scores.loc[keep], attributes=self.attributes.loc[keep])

    # -- reshaping -------------------------------------------------------------
    def to_wide(self) -> pd.DataFrame:
        """One row per business and wave: ids, attributes, then the stage scores.

        This is the layout :func:`cma_research.load_returns` reads back (form="wide").
        """
        wide = self.attributes.join(self.scores)
        return wide.reset_index()

    def to_long(self) -> pd.DataFrame:
        """One row per business, wave and stage: ``business_id, wave, stage, level``.

        Not-assessed stages are kept as rows with ``<NA>`` level, so the long table
        holds exactly what the wide one does. Attributes are not included; see
        :meth:`to_wide`.
        """
        wide = self.scores.reset_index()
        wide["_row"] = range(len(wide))
        long = wide.melt(id_vars=[*INDEX_NAMES, "_row"], var_name="stage", value_name="level")
        order = {s: i for i, s in enumerate(self.stage_ids)}
        long["_order"] = long["stage"].map(order)
        long = long.sort_values(["_row", "_order"], kind="stable")
        long = long.drop(columns=["_row", "_order"]).reset_index(drop=True)
        long["level"] = long["level"].astype("Int64")
        long["stage"] = long["stage"].astype("string")
        return long
