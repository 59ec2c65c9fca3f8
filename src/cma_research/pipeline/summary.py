"""A build's machine-readable summary of its study: ``study_summary.json``.

Beside ``index.html`` each build writes the study's shape and headline as plain JSON,
for a programme's dashboards and for comparing studies without reading HTML:

- ``businesses``, ``returns``: distinct businesses, and returns (business x wave);
- ``waves``: the wave labels in order; ``businesses_per_wave``: a count per wave;
- ``pairs``, ``dropouts``, ``joiners``: for each consecutive pair of waves, the
  businesses audited at both, at the first but not the second, and at the second but
  not the first (lists of ``len(waves) - 1`` counts);
- ``headline``: the strategy for blanks, the ``n`` behind the headline and each
  headline result as numbers (:func:`headline`).

:func:`write_pseudonym_map_of` writes, for a build whose study has a pseudonymisation
key, the mapping pseudonym -> business beside the key (never into the reports).
"""

from __future__ import annotations

import contextlib
import csv
import hmac
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cma_research.core.files import write_atomic

if TYPE_CHECKING:  # pandas loads only when a summary is computed, not when it is reused
    from cma_research.core.cohort import Cohort

__all__ = [
    "SUMMARY_FILE",
    "headline",
    "study_summary",
    "wave_counts",
    "write_pseudonym_map_of",
    "write_study_summary",
]

#: The summary's file name in the output folder.
SUMMARY_FILE = "study_summary.json"
#: Summaries kept in the build cache (the most recent).
KEEP_SUMMARIES = 16
# The notebook whose results are the headline, and its tables' prefix.
_HEADLINE_NOTEBOOK = "00_findings"


def wave_counts(cohort: Cohort) -> dict[str, Any]:
    """Businesses, returns, waves and the businesses each pair of consecutive waves shares.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> two = load_returns(bundled_path("customer_wise_2007_two_waves_SYNTHETIC.csv"))
    >>> counts = wave_counts(two)
    >>> counts["waves"], counts["businesses_per_wave"], counts["pairs"]
    (['Baseline', 'Follow-up (SYNTHETIC)'], [16, 13], [13])
    >>> counts["dropouts"], counts["joiners"], counts["returns"]
    ([3], [0], 29)
    """
    index = cohort.scores.index
    ids = index.get_level_values("business_id")
    codes = index.get_level_values("wave")
    order = sorted({int(c) for c in codes})
    by_wave = [set(ids[codes == c]) for c in order]
    pairs = list(itertools.pairwise(by_wave))
    return {
        "businesses": cohort.n_businesses,
        "returns": len(cohort),
        "waves": [cohort.wave_label(c) for c in order],
        "businesses_per_wave": [len(b) for b in by_wave],
        "pairs": [len(a & b) for a, b in pairs],
        "dropouts": [len(a - b) for a, b in pairs],
        "joiners": [len(b - a) for a, b in pairs],
    }


def _number(text: str) -> float | int | str | None:
    """A CSV cell as a number when it is one (full precision), else the text."""
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def headline(out_dir: Path, strategy: str | None, ran: Sequence[str]) -> dict[str, Any]:
    """The headline of a build: its strategy for blanks, its ``n`` and each result.

    The results are the rows of the headline notebook's tables that carry an ``n`` and
    a p-value (``tables/00_*.csv``), with every column as written (numbers as numbers);
    ``n`` is the first result's, and so is ``strategy`` (the strategy the headline used:
    for ``missing_strategy: auto`` the one its rule chose; ``requested_strategy`` is the
    parameter as given). ``from_this_run`` says whether the headline notebook
    ran (or was restored) in this build; otherwise its tables are an earlier run's
    (``--only``), and the results are empty when there are none.
    """
    out: dict[str, Any] = {
        "strategy": strategy,
        "requested_strategy": strategy,
        "n": None,
        "results": [],
        "from_this_run": _HEADLINE_NOTEBOOK in ran,
    }
    prefix = _HEADLINE_NOTEBOOK[:3]
    for path in sorted((out_dir / "tables").glob(f"{prefix}*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if not rows or "n" not in rows[0] or "p_val" not in rows[0]:
            continue
        for row in rows:
            record = {"table": path.stem, **{k: _number(v) for k, v in row.items()}}
            out["results"].append(record)
    if out["results"]:
        out["n"] = out["results"][0].get("n")
        used = out["results"][0].get("strategy")
        if isinstance(used, str) and used:
            out["strategy"] = used
    return out


def study_summary(
    cohort: Cohort, out_dir: Path, strategy: str | None, ran: Sequence[str]
) -> dict[str, Any]:
    """:func:`wave_counts` of the cohort and the build's :func:`headline`."""
    return {**wave_counts(cohort), "headline": headline(out_dir, strategy, ran)}


def _cohort_of(params: Mapping[str, Any]) -> Cohort | None:
    """The study's cohort, when the notebooks are a study's (they take returns and an
    instrument); else None (a folder of other notebooks has no study to summarise)."""
    if not params.get("returns_path") or "instrument" not in params:
        return None
    from cma_research.io.study import cohort_from_parameters

    return cohort_from_parameters(params)


def write_study_summary(
    out_dir: Path,
    params: Mapping[str, Any],
    ran: Sequence[str],
    stamp: Path | None = None,
    sign: Callable[[bytes], str | None] | None = None,
) -> None:
    """Write ``study_summary.json`` for the build whose first notebook got ``params``
    (nothing when its notebooks are not a study's: no returns and instrument).

    ``stamp`` is a file named by a digest of everything the summary reads (the build
    uses its notebooks' cache keys, the notebooks that succeeded and the headline
    tables' SHA-256): when it exists and its first line is ``sign`` of the rest (the
    build cache's key), the rest is the summary, so a rebuild that runs nothing reads no
    returns; else the summary is computed and the stamp written. Without ``sign`` no
    stamp is read or written.
    """
    if stamp is not None and sign is not None and stamp.is_file():
        with contextlib.suppress(OSError, ValueError):
            stored_mac, _, stored = stamp.read_bytes().partition(b"\n")
            expected = sign(stored)
            if expected is not None and hmac.compare_digest(stored_mac, expected.encode()):
                write_atomic(out_dir / SUMMARY_FILE, stored)
                return
    cohort = _cohort_of(params)
    if cohort is None:
        return
    data = study_summary(cohort, out_dir, params.get("missing_strategy"), ran)
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_atomic(out_dir / SUMMARY_FILE, text.encode("utf-8"))
    signature = sign(text.encode("utf-8")) if sign is not None else None
    if stamp is not None and signature is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be written is no cache
            stamp.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(stamp, signature.encode() + b"\n" + text.encode("utf-8"))
            old = sorted(stamp.parent.iterdir(), key=lambda p: p.stat().st_mtime)
            for path in old[:-KEEP_SUMMARIES]:
                path.unlink(missing_ok=True)


def write_pseudonym_map_of(params: Mapping[str, Any]) -> Path | None:
    """Write the pseudonym -> business mapping beside the build's key, if it has one."""
    key_path = params.get("key_path")
    cohort = _cohort_of(params) if key_path else None
    if cohort is None or not key_path:
        return None
    from cma_research.reporting.confidential import write_pseudonym_map
    from cma_research.reporting.pseudonym import read_key

    return write_pseudonym_map(cohort, read_key(key_path), key_path)
