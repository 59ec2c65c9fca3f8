"""The process step: atomic, reproducible, never writing data/raw/."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import cma_research as cma
from cma_research.core import files as _atomic
from cma_research.core.files import sha256_file
from tests.paths import BUNDLED


def _run(out: Path, **kw: object) -> cma.ProcessResult:
    return cma.process(
        BUNDLED,
        strategies=["complete_case", "stage_median", "multiple"],
        m=3,
        seed=2007,
        output_dir=out,
        **kw,  # type: ignore[arg-type]
    )


def test_process_writes_parquet_and_manifest(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "customer_wise_2007.complete_case.parquet",
        "customer_wise_2007.manifest.json",
        "customer_wise_2007.multiple.parquet",
        "customer_wise_2007.stage_median.parquet",
    ]
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["input"]["sha256"] == sha256_file(BUNDLED)
    assert manifest["instrument"]["name"] == "customer_wise_2007"
    assert manifest["missingness"]["cells_not_assessed"] == 23
    assert manifest["missingness"]["complete_cases"] == 12
    cc = manifest["strategies"]["complete_case"]
    assert cc["n_rows_after"] == 12 and cc["cells_filled"] == 0
    assert manifest["strategies"]["multiple"]["params"] == {"m": 3, "seed": 2007}
    assert {"python", "pandas", "numpy", "pyarrow", "cma_research"} <= set(manifest["versions"])
    assert "git_commit" in manifest
    for strategy, record in manifest["strategies"].items():
        data = (tmp_path / record["output"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == record["output_sha256"], strategy

    table = pd.read_parquet(tmp_path / "customer_wise_2007.complete_case.parquet")
    assert len(table) == 12
    assert str(table["stage_1"].dtype) == "Int64"
    multiple = pd.read_parquet(tmp_path / "customer_wise_2007.multiple.parquet")
    assert len(multiple) == 16 * 3
    assert sorted(multiple["imputation"].unique().tolist()) == [1, 2, 3]


def test_process_is_byte_identical_across_runs(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _run(first)
    _run(second)
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BUNDLED.read_text().replace("Florists,4,", "Florists,9,"), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(cma.DataValidationError, match=r"row 17, column '1'.*'9'"):
        cma.process(bad, output_dir=out)
    assert not out.exists()


def test_refuses_to_write_under_data_raw(tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(BUNDLED, raw / "x.csv")
    with pytest.raises(cma.ParameterError, match="data/raw/ holds the raw inputs"):
        cma.process(raw / "x.csv", output_dir=raw)
    assert sorted(p.name for p in raw.iterdir()) == ["x.csv"]


def test_failure_while_staging_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_stage = _atomic._stage
    calls: list[Path] = []

    def failing_stage(target: Path, data: bytes) -> str:
        calls.append(target)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_stage(target, data)

    monkeypatch.setattr(_atomic, "_stage", failing_stage)
    with pytest.raises(OSError, match="disk full"):
        _run(tmp_path)
    assert len(calls) == 3
    assert os.listdir(tmp_path) == []  # no target and no leftover temporary file


def test_unknown_strategy_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(cma.ParameterError, match=r"expected one of: .complete_case."):
        cma.process(tmp_path / "does-not-exist.csv", strategies=["pairwise"], output_dir=tmp_path)
