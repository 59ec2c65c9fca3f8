"""The ``process`` step: validate, clean and write the cohort to ``data/processed/``."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.files import guard_not_raw, write_all_atomic
from cma_research.core.instrument import Instrument
from cma_research.core.params import check_choice
from cma_research.io.returns import load_returns
from cma_research.missing.missingness import missingness
from cma_research.missing.strategies import STRATEGIES, Cleaned, Strategy, clean
from cma_research.pipeline.provenance import git_commit, package_versions

__all__ = ["ProcessResult", "cleaned_table", "process"]


@dataclass(frozen=True)
class ProcessResult:
    """What :func:`process` wrote: the manifest and one parquet file per strategy."""

    manifest_path: Path
    outputs: dict[str, Path]
    manifest: dict[str, Any]


def cleaned_table(cleaned: Cleaned) -> pd.DataFrame:
    """The cleaned cohort(s) as one wide table, sorted by business, wave (and imputation).

    Columns: ``business_id``, ``wave``, ``imputation`` (1..m, ``multiple`` only), the
    attributes, then the stages (``Int64``; ``<NA>`` = not assessed).
    """
    frames = []
    for j, cohort in enumerate(cleaned.cohorts, start=1):
        wide = cohort.to_wide()
        if len(cleaned.cohorts) > 1:
            wide.insert(2, "imputation", j)
        frames.append(wide)
    table = pd.concat(frames, ignore_index=True)
    keys = ["business_id", "wave"] + (["imputation"] if len(cleaned.cohorts) > 1 else [])
    return table.sort_values(keys, kind="stable").reset_index(drop=True)


def _parquet_bytes(table: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    table.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    return buf.getvalue()


def _missing_summary(cohort: Cohort) -> dict[str, Any]:
    miss = missingness(cohort)
    return {
        "returns": len(miss.by_business),
        "businesses": cohort.n_businesses,
        "waves": cohort.waves,
        "cells": miss.n_cells,
        "cells_not_assessed": miss.n_missing_cells,
        "complete_cases": miss.n_complete_cases,
        "not_assessed_by_stage": miss.missing_per_stage(),
    }


def _manifest(
    path: str | Path, cohort: Cohort, options: Mapping[str, Any], reports: Mapping[str, Any]
) -> dict[str, Any]:
    """The process manifest: input, instrument, options, missingness, strategies, provenance."""
    return {
        "input": {
            "path": str(path),
            "sha256": cohort.source.sha256,
            **{k: v for k, v in cohort.source.to_dict().items() if k not in ("path", "sha256")},
        },
        "instrument": {"name": cohort.instrument.name, "sha256": cohort.instrument.sha256},
        "load_options": {
            k: (list(v) if isinstance(v, tuple | set) else v) for k, v in sorted(options.items())
        },
        "missingness": _missing_summary(cohort),
        "strategies": reports,
        "versions": package_versions(),
        "git_commit": git_commit(),
    }


def process(
    path: str | Path,
    instrument: str | Path | Instrument = "customer_wise_2007",
    *,
    strategies: Iterable[Strategy] = ("available_case",),
    min_stages: int | None = None,
    m: int = 20,
    seed: int | None = None,
    output_dir: str | Path = "data/processed",
    load_options: Mapping[str, Any] | None = None,
) -> ProcessResult:
    """Validate and clean a returns file and write the results atomically.

    Writes ``<stem>.<strategy>.parquet`` for each strategy and ``<stem>.manifest.json``
    (input SHA-256, instrument, loading options, missingness, each strategy's report
    and output SHA-256, package versions, git commit). Nothing is written unless every
    step succeeded, each file is written to a temporary name and renamed, and nothing
    is ever written under ``data/raw/``.

    Parameters
    ----------
    path, instrument
        As for :func:`~cma_research.load_returns`.
    strategies : iterable of str
        Cleaning strategies to apply (see :func:`~cma_research.clean`).
    min_stages, m, seed
        Passed to :func:`~cma_research.clean` for the strategies that use them.
    output_dir : str or Path
        Folder for the outputs (default ``data/processed``).
    load_options : mapping, optional
        Extra keyword arguments for :func:`~cma_research.load_returns`.

    Returns
    -------
    ProcessResult

    Raises
    ------
    DataValidationError, ParameterError
    """
    strategies = list(dict.fromkeys(strategies))
    if not strategies:
        raise ParameterError(f"strategies is empty; expected some of {', '.join(STRATEGIES)}")
    for s in strategies:
        if s not in STRATEGIES:
            check_choice("strategy", s, STRATEGIES)
    out_dir = Path(output_dir)
    guard_not_raw(out_dir)
    options = dict(load_options or {})
    cohort = load_returns(path, instrument, **options)
    stem = Path(path).stem
    files: dict[str | Path, bytes] = {}
    reports: dict[str, Any] = {}
    for s in strategies:
        cleaned = clean(
            cohort,
            s,
            min_stages=min_stages if s == "min_stages" else None,
            m=m,
            seed=seed if s == "multiple" else None,
        )
        data = _parquet_bytes(cleaned_table(cleaned))
        target = out_dir / f"{stem}.{s}.parquet"
        files[target] = data
        reports[s] = {
            **cleaned.report.to_dict(),
            "output": target.name,
            "output_sha256": hashlib.sha256(data).hexdigest(),
        }
    manifest = _manifest(path, cohort, options, reports)
    manifest_path = out_dir / f"{stem}.manifest.json"
    files[manifest_path] = (
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
    ).encode()
    write_all_atomic(files)
    return ProcessResult(
        manifest_path=manifest_path,
        outputs={s: out_dir / f"{stem}.{s}.parquet" for s in strategies},
        manifest=manifest,
    )
