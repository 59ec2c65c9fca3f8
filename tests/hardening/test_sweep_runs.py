"""Class 7 of issue 21: a sweep that is killed never leaves an index linking another
sweep's results.

Members tried: a sweep stopped after its first set (as by SIGKILL: no clean-up runs)
over an earlier complete sweep, two sweeps with the same grid and different base values
(their set folders differ), a sweep whose folder another writer holds, and a complete
sweep after a stopped one (it removes the earlier sweep's unused sets).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import cma_research as cma
from cma_research.core.files import folder_lock
from cma_research.pipeline.build import build_sweep
from cma_research.pipeline.build import sweep as sweep_mod
from cma_research.pipeline.build.records import BuildResult
from cma_research.pipeline.build.sweep import SWEEP_IN_PROGRESS, run_sweep, set_name


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs (no ``except Exception`` catches it)."""


def fake_builds(log: list[tuple[dict[str, Any], Path]], die_at: int | None = None) -> Any:
    """A build_one that writes a tiny report folder (no kernels), dying at set ``die_at``."""

    def build_one(*, params: dict[str, Any], output_dir: Path, dry_run: bool = False) -> Any:
        if dry_run:
            return BuildResult([], output_dir, {})
        if die_at is not None and len(log) + 1 == die_at:
            raise Killed
        log.append((params, output_dir))
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "index.html").write_text(json.dumps(params, sort_keys=True))
        return BuildResult([], output_dir, {})

    return build_one


def sweep(folder: Path, spec: Path, base: dict[str, Any], die_at: int | None = None) -> Any:
    log: list[tuple[dict[str, Any], Path]] = []
    results = run_sweep(
        spec, fake_builds(log, die_at), output_dir=folder, params=base, say=lambda line: None
    )
    return results, log


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text("grid: {seed: [1, 2, 3]}\n")
    return path


def links(folder: Path) -> set[str]:
    import re

    index = (folder / "index.html").read_text()
    return set(re.findall(r'href="([^"/]+)/index.html"', index))


def test_a_killed_sweep_leaves_no_index_of_another_sweep(tmp_path: Path, spec: Path) -> None:
    out = tmp_path / "sweep"
    out.mkdir()
    sweep(out, spec, {"n_boot": 10})
    first = links(out)
    assert len(first) == 3
    with pytest.raises(Killed):
        sweep(out, spec, {"n_boot": 20}, die_at=2)
    # the earlier sweep's index and record are gone, the folder says it is in progress
    assert not (out / "index.html").exists() and not (out / "sweep.json").exists()
    assert (out / SWEEP_IN_PROGRESS).exists()
    # the set the killed sweep built is in a folder of its own values
    built = [p for p in out.iterdir() if p.is_dir() and p.name not in first]
    assert len(built) == 1
    assert json.loads((built[0] / "index.html").read_text())["n_boot"] == 20
    # a complete sweep links only its own sets, each built with its own values
    _, log = sweep(out, spec, {"n_boot": 20})
    assert links(out) == {folder.name for _, folder in log}
    for name in links(out):
        assert json.loads((out / name / "index.html").read_text())["n_boot"] == 20
    assert not (out / SWEEP_IN_PROGRESS).exists()


def test_same_grid_other_base_values_get_other_folders() -> None:
    assert set_name({"seed": 1}, {"seed": 1, "n_boot": 10}) != set_name(
        {"seed": 1}, {"seed": 1, "n_boot": 20}
    )
    assert set_name({"seed": 1}, {"seed": 1, "n_boot": 10}) == set_name(
        {"seed": 1}, {"n_boot": 10, "seed": 1}
    )


def test_a_complete_sweep_removes_the_previous_sweeps_unused_sets(
    tmp_path: Path, spec: Path
) -> None:
    out = tmp_path / "sweep"
    out.mkdir()
    _, old = sweep(out, spec, {"n_boot": 10})
    keep = tmp_path / "sweep" / "my notes"  # not a set of a sweep: never touched
    keep.mkdir()
    _, new = sweep(out, spec, {"n_boot": 20})
    assert not any(folder.exists() for _, folder in old)
    assert all(folder.exists() for _, folder in new) and keep.is_dir()


def test_a_sweep_takes_turns_with_other_writers(tmp_path: Path, spec: Path) -> None:
    out = tmp_path / "sweep"
    out.mkdir()
    with folder_lock(out, "build"), pytest.raises(cma.ReportBuildError, match="right now"):
        sweep(out, spec, {})
    assert not any(out.iterdir()) or {p.name for p in out.iterdir()} == {".build.lock"}


def test_build_sweep_uses_the_per_set_folders(
    tmp_path: Path, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []
    real = sweep_mod.run_sweep

    def spy(*args: Any, **kwargs: Any) -> Any:
        log: list[tuple[dict[str, Any], Path]] = []
        kwargs["build_one"] = fake_builds(log)
        result = real(args[0], **kwargs)
        seen.extend(folder for _, folder in log)
        return result

    monkeypatch.setattr(sweep_mod, "run_sweep", spy)
    build_sweep(spec, output_dir=tmp_path / "sweep", params={"n_boot": 5})
    assert [p.name for p in seen] == [
        set_name({"seed": s}, {"n_boot": 5, "seed": s}) for s in (1, 2, 3)
    ]
