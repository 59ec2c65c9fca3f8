"""A confidential cohort as its reports show it: keyed pseudonyms instead of business ids.

A study with a pseudonymisation key (``pseudonymise: KEYFILE`` in its study file) is
reported under pseudonyms everywhere: :func:`pseudonymise_cohort` replaces every
business id of the cohort by its keyed pseudonym
(:func:`cma_research.reporting.pseudonym.pseudonymise`: the same id gets the same
pseudonym in every wave and run made with the same key) before any table, figure or
sentence is made, and leaves out the free-text columns of the returns (names,
assessors, comments), which could identify a business. Numbers (staff, covariates) and
the business type stay in the cohort, so every statistic uses them. The mapping
pseudonym -> business is written beside the key by :func:`write_pseudonym_map`, never
into the reports.

**What a per-business output shows under pseudonyms** (:func:`shareable_business_table`,
the one rule every such table and sentence goes through): an exact staff number beside
a pseudonym, its business type and its levels links the pseudonym back to its business
(issue 21: 16 of 16 pages re-identified by staff and date). A table with one row per
business (a ``business_id`` column) therefore shows the EU size band
(:func:`~cma_research.analysis.groups.size_band`: micro, small, medium, large) instead
of ``staff``, leaves out ``log_staff`` and the numeric covariates of the covariate files
(turnover, growth: exact figures of one business), and a leave-one-out table shows the
size band of the business left out (``left_out_size_band``) instead of its staff number
(``left_out_value``; for another covariate the value is left out). Statistics over
businesses (correlations, models, group comparisons) are not per-business outputs and
are unchanged. The notebooks apply the rule through
:class:`~cma_research.reporting.notebook.Outputs` when the study has a key.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from cma_research.analysis.groups import size_band
from cma_research.core.cohort import INDEX_NAMES, Cohort, Source
from cma_research.core.errors import ParameterError
from cma_research.core.files import write_atomic
from cma_research.reporting.pseudonym import key_check, pseudonymise

__all__ = [
    "pseudonym_map_path",
    "pseudonymise_cohort",
    "shareable_business_table",
    "write_pseudonym_map",
]

#: Columns of a per-business table that give a business's exact size.
STAFF_COLUMNS = ("staff", "log_staff")

# Attributes kept under pseudonyms besides numeric ones: categories, not names.
_KEPT_TEXT = ("business_type",)


def pseudonymise_cohort(cohort: Cohort, key: bytes) -> Cohort:
    """The cohort with keyed pseudonyms for business ids and no free-text columns.

    Rows keep their order; ``cohort.source.notes`` says what was done (with the key's
    check value, :func:`~cma_research.reporting.pseudonym.key_check`, never the key).

    Raises
    ------
    ParameterError
        When two ids of the cohort share a pseudonym (then the key is far too short).

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> key = bytes.fromhex("5f1e8c2a9b7d3046e1c8f2a7b9d4e6035a7c1e9b3f2d8064a9e7c5b1d3f2a806")
    >>> hidden = pseudonymise_cohort(customer_wise_2007(), key)
    >>> hidden.scores.index.get_level_values("business_id")[0][:2], hidden.n_businesses
    ('P-', 16)
    """
    ids = cohort.scores.index.get_level_values("business_id")
    mapping = {b: pseudonymise(str(b), key) for b in dict.fromkeys(ids)}
    if len(set(mapping.values())) != len(mapping):
        raise ParameterError("two business ids share a pseudonym; use a longer key")
    index = pd.MultiIndex.from_arrays(
        [[mapping[b] for b in ids], cohort.scores.index.get_level_values("wave")],
        names=INDEX_NAMES,
    )
    attrs = cohort.attributes.copy()
    dropped = [
        c
        for c in attrs.columns
        if c not in _KEPT_TEXT and not pd.api.types.is_numeric_dtype(attrs[c].dtype)
    ]
    attrs = attrs.drop(columns=dropped)
    attrs.index = index
    scores = cohort.scores.copy()
    scores.index = index
    note = (
        f"business ids are shown as keyed pseudonyms (key check {key_check(key)}); the "
        "mapping is kept beside the key, not in the reports"
    )
    if dropped:
        note += "; free-text columns left out: " + ", ".join(dropped)
    source: Source = replace(cohort.source, notes=(*cohort.source.notes, note))
    return replace(cohort, scores=scores, attributes=attrs, source=source)


def pseudonym_map_path(key_path: str | Path) -> Path:
    """Where the mapping of a key's pseudonyms is kept: beside the key.

    >>> pseudonym_map_path("/keys/cma.key").as_posix()
    '/keys/cma.key.pseudonyms.csv'
    """
    p = Path(key_path)
    return p.with_name(p.name + ".pseudonyms.csv")


def write_pseudonym_map(cohort: Cohort, key: bytes, key_path: str | Path) -> Path:
    """Write ``pseudonym,business_id`` for every business of ``cohort`` beside the key.

    The file is readable by its owner only, as the key is; it is rewritten only when its
    content changes. ``cohort`` holds the real ids (before :func:`pseudonymise_cohort`).
    """
    ids = sorted(set(cohort.scores.index.get_level_values("business_id")), key=str)
    lines = ["pseudonym,business_id"]
    for b in ids:
        text = str(b)
        if any(ch in text for ch in ',"\r\n') or text[:1] in ("=", "+", "-", "@"):
            text = '"' + ("'" + text if text[:1] in "=+-@" else text).replace('"', '""') + '"'
        lines.append(f"{pseudonymise(str(b), key)},{text}")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    target = pseudonym_map_path(key_path)
    if not (target.is_file() and target.read_bytes() == data):
        write_atomic(target, data)
    os.chmod(target, 0o600)
    return target


def shareable_business_table(table: pd.DataFrame, covariates: Sequence[str] = ()) -> pd.DataFrame:
    """A per-business table as a pseudonymised report may show it: size band, not staff.

    A table without a ``business_id`` column (a statistic over businesses) is returned
    unchanged. Otherwise ``staff`` becomes ``size_band`` in the same place, ``log_staff``
    and the columns named in ``covariates`` (the numeric covariates of the study's
    covariate files) are left out, and a leave-one-out table
    (:func:`~cma_research.analysis.correlation.leave_one_out`) gets
    ``left_out_size_band`` instead of ``left_out_value`` when its covariate is staff
    (for any other covariate ``left_out_value`` is left out). Applying it twice changes
    nothing. The statistics themselves are computed on the staff numbers beforehand.

    Examples
    --------
    >>> t = pd.DataFrame({"business_id": ["P-1a", "P-2b"], "staff": [3, 222],
    ...                   "turnover_2008": [120.0, 950.0], "mean": [1.2, 2.5]})
    >>> shareable_business_table(t, ["turnover_2008"]).to_dict("list")
    {'business_id': ['P-1a', 'P-2b'], 'size_band': ['micro', 'medium'], 'mean': [1.2, 2.5]}
    """
    if "business_id" not in table.columns:
        return table
    out = table.copy()
    if "staff" in out.columns:
        bands = size_band(out["staff"]).astype("string")
        out.insert(list(out.columns).index("staff"), "size_band", bands)
    if "left_out_value" in out.columns and "covariate" in out.columns:
        is_staff = out["covariate"].astype("string").isin(STAFF_COLUMNS).fillna(False)
        if bool(is_staff.all()):
            values = out["left_out_value"].to_numpy(dtype=float)
            if bool((out["covariate"] == "log_staff").all()):
                values = np.exp(values)
            bands = size_band(pd.Series(values.round(), index=out.index)).astype("string")
            out.insert(list(out.columns).index("left_out_value"), "left_out_size_band", bands)
        out = out.drop(columns="left_out_value")
    hidden = [c for c in (*STAFF_COLUMNS, *covariates) if c in out.columns]
    return out.drop(columns=hidden)
