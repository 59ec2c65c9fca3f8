"""notebooks/08_claims.ipynb: parameters as in the other notebooks, every one used, and a
summary whose numbers are the audit's counts (as the session's build of the bundled study
ran it); without a claims file, nothing is audited."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import nbformat

import cma_research as cma
from cma_research.analysis.claims import claim_verdicts
from cma_research.pipeline.build import BuildResult
from tests.notebooks import execute
from tests.paths import ROOT

NOTEBOOK = ROOT / "notebooks" / "08_claims.ipynb"


def parameter_names(cell_source: str) -> list[str]:
    tree = ast.parse(cell_source)
    return [n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)]  # type: ignore[union-attr]


def test_parameters_are_the_standard_ones_plus_claims_path() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    # the findings notebook declares every standard parameter this notebook uses
    reference = nbformat.read(ROOT / "notebooks" / "00_findings.ipynb", as_version=4)
    ref_cell = next(c for c in reference.cells if "parameters" in c.metadata.get("tags", []))
    ours = params[0].source.splitlines()
    claims_line = next(line for line in ours if line.startswith("claims_path"))
    baseline_line = next(line for line in ours if line.startswith("baseline_wave"))
    own = (claims_line, baseline_line)
    assert [line for line in ours if line not in own] == ref_cell.source.splitlines()
    # no default claims: a study has claims only when it gives them (the bundled study does)
    assert claims_line.startswith('claims_path: "Optional[str]" = None  # help: ')
    assert baseline_line.startswith('baseline_wave: "Optional[str]" = None  # help: ')
    # every declared parameter is used outside the parameters cell
    names = parameter_names(params[0].source)
    used = {
        node.id
        for c in nb.cells
        if c.cell_type == "code" and c is not params[0]
        for node in ast.walk(ast.parse(c.source))
        if isinstance(node, ast.Name)
    }
    assert set(names) <= used, set(names) - used
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def _markdown(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        "".join(o["data"]["text/markdown"])
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    ]


def test_notebook_summary_comes_from_the_counts(bundled_build: BuildResult) -> None:
    # 08 as the session's build of the bundled study ran it (the study's claims and
    # recruitment file): the audit is re-run here with the notebook's parameters
    assert bundled_build.ok, bundled_build.summary()
    executed = bundled_build.output_dir / "notebooks" / "08_claims.ipynb"
    params = json.loads(executed.read_text(encoding="utf-8"))["metadata"]["papermill"]
    params = params["parameters"]
    assert (params["returns_path"], params["claims_path"], params["recruitment_path"]) == (
        "data/raw/customer_wise_2007.csv",
        "data/raw/customer_wise_2007_claims.yaml",
        "data/raw/customer_wise_2007_recruitment.csv",
    )
    cohort = cma.load_returns(ROOT / params["returns_path"])
    claims = cma.load_claims(ROOT / params["claims_path"])
    funnel = ROOT / params["recruitment_path"]
    resampling = {k: params[k] for k in ("seed", "n_boot", "n_perm")}
    audit = cma.audit_claims(cohort, claims, recruitment=funnel, **resampling)
    verdicts = Counter(claim_verdicts(audit)["verdict"])
    summary = next(m for m in _markdown(executed) if m.startswith("Of the "))
    testable = sum(n for v, n in verdicts.items() if v != "cannot be tested")
    assert summary.startswith(
        f"Of the **{testable}** testable claims, **{verdicts['supported']}** are supported "
        f"by the study's own data, {verdicts['holds in the sample only']} holds in these "
        "businesses but is not established beyond them, "
        f"{verdicts['partly supported']} are partly supported (their readings disagree) and "
        f"{verdicts['not supported']} are not supported; {verdicts['cannot be tested']} "
        "further claims cannot be tested with these data."
    )
    assert "Of the 4 claims marked must-hold, 0 fail." in summary
    assert (bundled_build.output_dir / "tables" / "08_claims_audit.csv").exists()


def test_notebook_skips_without_a_claims_file(tmp_path: Path) -> None:
    out = tmp_path / "08.ipynb"
    execute(
        NOTEBOOK,
        out,
        # given its returns, a notebook reads nothing from a study file: no claims
        {
            "returns_path": str(ROOT / "data" / "raw" / "customer_wise_2007.csv"),
            "claims_path": None,
            "output_dir": str(tmp_path / "reports"),
        },
    )
    shown = _markdown(out)
    assert "No claims file was given (`claims_path` is None), so no claims are audited." in shown
    assert not any(m.startswith(("Of the ", "Under the strategy")) for m in shown)
    assert not (tmp_path / "reports" / "tables" / "08_claims_audit.csv").exists()
