"""The SYNTHETIC two-wave example: seeded, labelled, real baseline kept, every trajectory."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research.core.errors import ParameterError
from cma_research.core.files import sha256_file
from cma_research.datasets.synthetic import (
    BASELINE_LABEL,
    FOLLOW_UP_LABEL,
    is_synthetic,
    synthetic_cohort,
    synthetic_follow_up,
)
from tests.paths import BUNDLED, ROOT

EXAMPLE = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"
SCRIPT = ROOT / "scripts" / "make_synthetic_waves.py"
EXAMPLE_SHA256 = "1d97716e242f4ab76d765abdeeae3f2480b55aced7ea3e70b722b420eb5ce15a"


def _means(scores: pd.DataFrame) -> np.ndarray:
    values = scores.to_numpy(dtype=float, na_value=np.nan)
    return np.nanmean(values, axis=1)


def _script_main(*argv: str) -> int:
    """Run ``scripts/make_synthetic_waves.py`` in this process (as ``python SCRIPT ...``)."""
    spec = importlib.util.spec_from_file_location("make_synthetic_waves", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return int(module.main(list(argv)))


def test_regenerating_gives_the_committed_file_byte_for_byte(tmp_path, capsys) -> None:
    out = tmp_path / "again.csv"
    assert _script_main("--output", str(out)) == 0, capsys.readouterr().out
    assert out.read_bytes() == EXAMPLE.read_bytes()
    # data/raw/README.md records the checksum; change both together, deliberately
    assert sha256_file(EXAMPLE) == EXAMPLE_SHA256
    assert EXAMPLE_SHA256 in (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")


def test_script_refuses_to_overwrite_different_content(tmp_path, capsys) -> None:
    out = tmp_path / "x.csv"
    out.write_text("something else\n", encoding="utf-8")
    assert _script_main("--output", str(out)) == 2
    assert "--force" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8") == "something else\n"


def test_labelled_synthetic_everywhere() -> None:
    assert "SYNTHETIC" in EXAMPLE.name
    assert FOLLOW_UP_LABEL == "Follow-up (SYNTHETIC)"
    readme = (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(f"## {EXAMPLE.name}") :]
    assert "SYNTHETIC" in section and "seed" in section
    raw = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    assert raw["wave"].drop_duplicates().tolist() == [BASELINE_LABEL, FOLLOW_UP_LABEL]
    two = synthetic_follow_up(cma.load_returns(BUNDLED), seed=2008)
    assert two.source.path.startswith("synthetic:") and two.source.form == "synthetic"
    assert is_synthetic(two)
    assert not is_synthetic(cma.load_returns(BUNDLED))


def test_is_synthetic_from_file_name(tmp_path) -> None:
    for name, expected in (("my_Synthetic_waves.csv", True), ("returns_2008.csv", False)):
        path = tmp_path / name
        path.write_bytes(BUNDLED.read_bytes())
        assert is_synthetic(cma.load_returns(path)) is expected
    assert is_synthetic(synthetic_cohort(4, seed=1))


def test_committed_file_is_the_real_table_4_plus_a_synthetic_wave() -> None:
    real = cma.load_returns(BUNDLED)
    raw = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    base = raw[raw["wave"] == BASELINE_LABEL]
    # baseline rows: Table 4 exactly, in file order (staff, type, every stage, blanks)
    assert base["business_id"].tolist() == [f"B{i:02d}" for i in range(1, 17)]
    table4 = pd.read_csv(BUNDLED, dtype=str, keep_default_na=False)
    assert base["staff"].tolist() == table4["Staff No"].tolist()
    assert base["business_type"].tolist() == table4["Type"].tolist()
    for j in range(1, 11):
        assert base[f"stage_{j}"].tolist() == table4[str(j)].tolist()
    assert (base["synthetic_trajectory"] == "baseline").all()
    follow = raw[raw["wave"] == FOLLOW_UP_LABEL]
    assert len(follow) == 13 and set(follow["business_id"]) < set(base["business_id"])
    assert len(real.scores) == 16


def test_every_trajectory_present_and_shows_in_the_mean_level() -> None:
    two = synthetic_follow_up(cma.load_returns(BUNDLED), seed=2008)
    traj = two.attributes["synthetic_trajectory"]
    ranks = two.scores.index.get_level_values("wave")
    base = two.scores[ranks == 1].droplevel("wave")
    follow = two.scores[ranks == 2].droplevel("wave")
    kinds = traj[ranks == 2].droplevel("wave")
    assert set(kinds) == {"improved", "no_change", "declined"}
    dropped = sorted(set(base.index) - set(follow.index))
    assert len(dropped) == 3
    change = pd.Series(_means(follow), index=follow.index) - pd.Series(
        _means(base.loc[follow.index]), index=follow.index
    )
    assert (change[kinds == "improved"] > 0).all()
    assert (change[kinds == "declined"] < 0).all()
    # no change: the follow-up return is the baseline return, blanks included
    same = kinds.index[kinds == "no_change"]
    pd.testing.assert_frame_equal(follow.loc[same], base.loc[same])
    # levels stay on the instrument's scale; staff and type copied from the baseline
    inst = two.instrument
    values = two.scores.to_numpy(dtype=float, na_value=np.nan)
    ok = values[~np.isnan(values)]
    assert ok.min() >= inst.min_level and ok.max() <= inst.max_level
    attrs = two.attributes
    b_attrs = attrs[ranks == 1].droplevel("wave").loc[follow.index]
    f_attrs = attrs[ranks == 2].droplevel("wave")
    assert b_attrs["staff"].equals(f_attrs["staff"])
    # some stages change assessment status between waves (not-assessed transitions exist)
    b_na, f_na = base.loc[follow.index].isna(), follow.isna()
    assert (b_na & ~f_na).to_numpy().any() and (~b_na & f_na).to_numpy().any()


def test_seeded() -> None:
    real = cma.load_returns(BUNDLED)
    a, b = synthetic_follow_up(real, seed=3), synthetic_follow_up(real, seed=3)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.attributes, b.attributes)
    c = synthetic_follow_up(real, seed=4)
    assert not a.scores.equals(c.scores)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_dropouts": 0}, "n_dropouts"),
        ({"n_dropouts": 14}, "too few"),
        ({"shares": (0.5, 0.5, 0.0)}, "shares"),
        ({"p_newly_assessed": 1.0}, "p_newly_assessed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_parameters(kwargs: dict, match: str) -> None:
    args = {"seed": 1, **kwargs}
    with pytest.raises(ParameterError, match=match):
        synthetic_follow_up(cma.load_returns(BUNDLED), **args)


def test_two_wave_input_refused() -> None:
    two = synthetic_follow_up(cma.load_returns(BUNDLED), seed=1)
    with pytest.raises(ParameterError, match="one-wave"):
        synthetic_follow_up(two, seed=1)


def test_the_file_loads_back_as_the_generated_cohort() -> None:
    loaded = cma.load_returns(EXAMPLE)
    made = synthetic_follow_up(cma.load_returns(BUNDLED), seed=2008)
    assert loaded.waves == made.waves == (BASELINE_LABEL, FOLLOW_UP_LABEL)
    pd.testing.assert_frame_equal(loaded.scores, made.scores)
    pd.testing.assert_frame_equal(loaded.attributes, made.attributes)
    assert is_synthetic(loaded)
    assert loaded.paired(BASELINE_LABEL, FOLLOW_UP_LABEL).n_businesses == 13
