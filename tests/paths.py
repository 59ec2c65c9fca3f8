"""Where the tests find the repository's files (imported by tests; fixtures live in conftest)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "raw" / "customer_wise_2007.csv"
SEEDS = ROOT.parent / "shared" / "seeds"
DATA = ROOT / "tests" / "data"
