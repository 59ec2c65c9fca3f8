"""`cma-research instruments` describes each bundled instrument from its own YAML file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cma_research.cli import main

INSTRUMENTS = Path(__file__).resolve().parents[1] / "src" / "cma_research" / "instruments"


def blocks(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith(" "):
            out[line.split(":")[0]] = [line]
        else:
            out[list(out)[-1]].append(line)
    return out


@pytest.mark.parametrize("name", ["customer_wise_2007", "managing_customers_framework"])
def test_instruments_are_described_from_their_data(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["instruments"]) == 0
    lines = blocks(capsys.readouterr().out)[name]
    # read the YAML independently of the package's loader
    data = yaml.safe_load((INSTRUMENTS / f"{name}.yaml").read_text(encoding="utf-8"))
    noun = data.get("stage_noun", "stage")
    stages, levels = data["stages"], data["levels"]
    assert lines[0] == f"{name}: {data['title']}"
    stage_line = next(line for line in lines if line.startswith(f"  {len(stages)} {noun}s: "))
    for s in stages:
        assert f"{s['number']} {s['name']} ({s['short_name']})" in stage_line
    level_line = next(line for line in lines if line.startswith("  levels "))
    for lv in levels:
        assert f"{lv['value']} {lv['label']}" in level_line
    target = next(lv for lv in levels if lv["value"] == data["target_level"])
    assert f"  target: {target['label']} ({target['value']})" in lines
    n_criteria = sum(len(s.get("criteria", {})) for s in stages)
    assert any(
        line.startswith(f"  criteria: {n_criteria} ({len(stages)} {noun}s x") for line in lines
    )
    if name == "managing_customers_framework":
        assert "6 dimensions" in stage_line and "ten" not in " ".join(lines).lower()
