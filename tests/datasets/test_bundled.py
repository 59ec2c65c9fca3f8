"""The bundled copies are the study's data: byte-identical to data/raw, usable anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from cma_research.core.files import sha256_file
from cma_research.datasets import (
    bundled_path,
    customer_wise_2007,
    customer_wise_2007_recruitment,
)
from tests.paths import ROOT


@pytest.mark.parametrize(
    "name",
    [
        "customer_wise_2007.csv",
        "customer_wise_2007_recruitment.csv",
        "customer_wise_2007_claims.yaml",
        "customer_wise_2007_two_waves_SYNTHETIC.csv",
        "managing_customers_SYNTHETIC.csv",
    ],
)
def test_bundled_copy_is_byte_identical_to_data_raw(name: str) -> None:
    assert sha256_file(bundled_path(name)) == sha256_file(ROOT / "data" / "raw" / name)


def test_works_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cohort = customer_wise_2007()
    assert cohort.n_businesses == 16
    assert cohort.source.path == "customer_wise_2007.csv"  # never a local path
    assert len(customer_wise_2007_recruitment()) > 0


def test_unknown_bundled_file_is_refused() -> None:
    import cma_research as cma

    with pytest.raises(cma.ParameterError, match=r"no bundled file 'x\.csv'"):
        bundled_path("x.csv")
