"""Write the SYNTHETIC two-wave example returns (run once by a developer; not by the build).

    python scripts/make_synthetic_waves.py            # writes the committed example file
    python scripts/make_synthetic_waves.py --output /tmp/check.csv

Wave ``Baseline`` is the real Table 4 of the 2007 paper, unchanged; wave
``Follow-up (SYNTHETIC)`` is generated from it by
:func:`cma_research.datasets.synthetic.synthetic_follow_up` with the seed below. The
output is byte-identical for the same package version, seed and input
(``tests/datasets/test_synthetic_waves.py`` regenerates it and compares).

The package never writes ``data/raw/``; this script is the documented, one-off way the
example file there was made (see ``data/raw/README.md``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from cma_research.datasets.synthetic import BASELINE_LABEL, FOLLOW_UP_LABEL, synthetic_follow_up
from cma_research.io.returns import load_returns

#: The seed of the committed example file.
SEED = 2008
ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "data" / "raw" / "customer_wise_2007.csv"
OUTPUT = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"


def example_table(baseline: Path = BASELINE, seed: int = SEED) -> pd.DataFrame:
    """The example returns in wide form, one row per business and wave, waves by label."""
    two = synthetic_follow_up(load_returns(baseline), seed=seed)
    labels = {1: BASELINE_LABEL, 2: FOLLOW_UP_LABEL}
    ranks = two.scores.index.get_level_values("wave")
    table = two.attributes.join(two.scores).reset_index()
    table["wave"] = [labels[int(r)] for r in ranks]
    front = ["business_id", "wave", "staff", "business_type", "synthetic_trajectory"]
    return table[[*front, *two.instrument.stage_ids]]


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 CSV, ``\\n`` line ends, blank cells for *not assessed*."""
    return table.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="file to write")
    parser.add_argument("--seed", type=int, default=SEED, help="seed (default %(default)s)")
    parser.add_argument(
        "--force", action="store_true", help="replace an existing file with different content"
    )
    args = parser.parse_args(argv)
    data = to_csv_bytes(example_table(seed=args.seed))
    out: Path = args.output
    if out.exists() and out.read_bytes() != data and not args.force:
        print(f"error: {out} exists with different content; pass --force to replace it")
        return 2
    # written on purpose into data/raw/ (the package's writers refuse that folder):
    # temporary file beside the target, then an atomic rename
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
