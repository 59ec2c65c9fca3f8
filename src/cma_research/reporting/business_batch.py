"""The bookkeeping of a batch of business reports: file names, disclosure manifest, result.

Used by :func:`cma_research.reporting.business_pages.business_pages` (safe, distinct file
names; the content of ``disclosure.json``) and by
:func:`cma_research.reporting.business.write_business_reports` (:class:`BatchResult`;
the check of a Dask scheduler address before anything is written).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.files import safe_filename

__all__ = ["RESERVED_NAMES", "BatchResult"]

#: File names of a batch that no business page may take.
RESERVED_NAMES = ("index", "disclosure")


@dataclass(frozen=True)
class BatchResult:
    """What :func:`write_business_reports` wrote.

    Attributes
    ----------
    pages : dict of str to Path
        Business id (never the pseudonym) to its page.
    index : Path or None
        ``index.html`` (None when writing single pages).
    manifest : Path or None
        ``disclosure.json``.
    disclosure : dict
        The manifest's content.
    """

    pages: dict[str, Path]
    index: Path | None
    manifest: Path | None
    disclosure: dict[str, Any] = field(default_factory=dict)


def _file_names(shown_ids: Sequence[str]) -> list[str]:
    """Safe, distinct file names (also on case-insensitive file systems), none reserved."""
    names = [safe_filename(b) for b in shown_ids]
    folded: dict[str, int] = {}
    for n in names:
        folded[n.casefold()] = folded.get(n.casefold(), 0) + 1
    out = []
    for b, n in zip(shown_ids, names, strict=True):
        if folded[n.casefold()] > 1 or n.casefold() in RESERVED_NAMES:
            n = f"{n[:80]}-{hashlib.sha256(b.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
        out.append(n)
    if len({n.casefold() for n in out}) != len(out):  # pragma: no cover - needs a hash clash
        raise ParameterError("two business ids map to the same file name")
    return out


def _manifest(
    one: Cohort,
    groups: pd.DataFrame,
    k: int,
    key: bytes | None,
    show_names: bool,
    wave_label: str | None,
    pages: list[dict[str, Any]],
    suppressed_cells: list[dict[str, str]],
) -> dict[str, Any]:
    bands = []
    for band, sub in groups.groupby("size_band", sort=False, observed=True):
        used = bool((sub["peer_kind"] == "size_band").any())
        entry: dict[str, Any] = {"group": f"size band: {band}", "shown": used}
        if used:
            entry["n_businesses"] = len(sub)
        else:
            entry["reason"] = str(sub["fallback"].iloc[0])
            suppressed_cells.insert(
                0,
                {"page": "all", "cell": f"peer group: size band {band}", "reason": entry["reason"]},
            )
        bands.append(entry)
    key_id = (
        hmac.new(key, b"cma_research pseudonym key check", hashlib.sha256).hexdigest()[:8]
        if key
        else None
    )
    return {
        "k": k,
        "anonymised": k > 1,
        "pseudonymised": key is not None,
        "key_check": key_id,
        "free_text_shown": show_names,
        "instrument": one.instrument.name,
        "wave": wave_label,
        "returns_sha256": one.source.sha256,
        "n_pages": len(pages),
        "n_businesses_in_wave": len(groups),
        "peer_groups": bands,
        "suppressed": suppressed_cells,
        "rules": {
            "peer_group": (
                "the business's EU size band when it has at least k other businesses and is "
                "not hidden to protect a smaller band; else all audited businesses when they "
                "are at least k others; else no comparison"
            ),
            "per_stage": (
                "a peer statistic is shown only when at least k + 1 businesses of the peer "
                "group (the business itself included) were assessed on the stage"
            ),
        },
    }


def _check_scheduler(address: str) -> None:
    if not isinstance(address, str) or not address.strip():
        raise ParameterError(f"scheduler={address!r} must be an address such as 'tcp://host:8786'")
    try:
        import dask.distributed  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        raise ParameterError(
            f"scheduler={address!r} needs dask.distributed, which is not installed; "
            "install it with: pip install 'dask[distributed]'"
        ) from None
