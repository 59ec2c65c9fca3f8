"""The cohort: audit scores of many businesses (and waves) against one instrument."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from cma_research.core.errors import ParameterError
from cma_research.core.instrument import Instrument
from cma_research.core.records import CleaningReport, CovariateSource

__all__ = ["Cohort", "Source"]

INDEX_NAMES = ["business_id", "wave"]


@dataclass(frozen=True)
class Source:
    """Where a cohort came from: the file, its SHA-256 and how it was read."""

    path: str
    sha256: str
    form: str = "wide"
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The source as plain JSON-ready values."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "form": self.form,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "header_row": self.header_row,
        }


@dataclass(frozen=True, eq=False)
class Cohort:
    """Scores and attributes of audited businesses, validated against an instrument.

    Both tables are indexed by ``(business_id, wave)``; a file without waves gets
    wave 1 for every row.

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
    """

    scores: pd.DataFrame
    attributes: pd.DataFrame
    instrument: Instrument
    source: Source
    cleaning: CleaningReport | None = field(default=None)
    covariate_sources: tuple[CovariateSource, ...] = ()

    def __post_init__(self) -> None:
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

    @property
    def waves(self) -> list[int]:
        """The audit waves present, ascending."""
        return sorted(int(w) for w in self.scores.index.get_level_values("wave").unique())

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

    def select_wave(self, wave: int) -> Cohort:
        """The returns of one audit wave only.

        Raises
        ------
        ParameterError
            When ``wave`` is not one of :attr:`waves`.
        """
        if wave not in self.waves:
            raise ParameterError(
                f"wave={wave!r} is not in this cohort; expected one of {self.waves}"
            )
        mask = self.scores.index.get_level_values("wave") == wave
        return replace(self, scores=self.scores.loc[mask], attributes=self.attributes.loc[mask])

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
