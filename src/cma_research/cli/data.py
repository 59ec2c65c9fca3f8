"""The data commands: ``validate``, ``process`` and ``instruments``."""

from __future__ import annotations

import argparse
from typing import cast

from cma_research.cli.parser import EXIT_OK, load_options
from cma_research.cli.study import study_cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import Instrument, get_instrument, list_instruments
from cma_research.core.params import STRATEGIES, Strategy, check_parameter

__all__ = [
    "describe_instrument",
    "instruments_command",
    "process_command",
    "validate_command",
]


def validate_command(args: argparse.Namespace) -> int:
    """``cma-research validate FILE`` (or ``--study FILE``): check returns, summarise them.

    With a study, its covariates are loaded too, and its title and each covariate
    (with a derived one's formula) are shown. What the loader notes (a wave column with
    nearly as many values as returns, free text kept by stage) is printed as ``note:``.
    """
    from cma_research.missing.missingness import missingness  # pandas: only where needed

    found = study_cohort(args)
    cohort = found.cohort
    miss = missingness(cohort)
    noun = cohort.instrument.stage_noun
    if found.study is not None:
        print(f"{found.name}: study {found.study.title or found.study.path.stem!r}")
    print(
        f"{found.study.returns if found.study else found.name}: valid "
        f"{cohort.instrument.name} returns "
        f"(sha256 {cohort.source.sha256[:12]}…, {cohort.source.form} form)"
    )
    if cohort.source.sheet is not None:
        print(f"  sheet read:       {cohort.source.sheet!r}")
    print(
        f"  businesses:       {cohort.n_businesses} in {len(cohort.waves)} wave(s), "
        f"{len(cohort)} returns"
    )
    if len(cohort.waves) > 1:
        shown = ", ".join(cohort.waves[:8]) + (" ..." if len(cohort.waves) > 8 else "")
        print(f"  waves:            {shown}")
    print(f"  {noun}s assessed:  {miss.n_cells - miss.n_missing_cells} of {miss.n_cells} cells")
    print(f"  missing cells:    {miss.n_missing_cells} (not assessed; never counted as 0)")
    print(f"  complete cases:   {miss.n_complete_cases} of {len(cohort)}")
    per_stage = ", ".join(f"{s} {n}" for s, n in miss.missing_per_stage().items() if n)
    print(f"  not assessed per {noun}: {per_stage or 'none'}")
    for src in cohort.covariate_sources:
        print(f"  {src.summary()}")
    for note in cohort.source.notes:
        print(f"note: {note}")
    return EXIT_OK


def process_command(args: argparse.Namespace) -> int:
    """``cma-research process FILE``: validate, clean and write ``data/processed/``."""
    from cma_research.pipeline.process import process

    chosen = args.strategy or ["available_case"]
    strategies = cast(list[Strategy], list(STRATEGIES) if "all" in chosen else chosen)
    if "min_stages" in strategies and args.min_stages is None:
        raise ParameterError("--strategy min_stages needs --min-stages K")
    if "multiple" in strategies and args.seed is None:
        raise ParameterError("--strategy multiple needs --seed N (results must be reproducible)")
    if args.seed is not None:  # the parameter table's bounds, before any work
        check_parameter("seed", args.seed)
    check_parameter("m_imputations", args.m)
    if args.min_stages is not None:
        check_parameter("min_stages", args.min_stages)
    result = process(
        args.file,
        args.instrument or "customer_wise_2007",
        strategies=strategies,
        min_stages=args.min_stages,
        m=args.m,
        seed=args.seed,
        output_dir=args.output_dir,
        load_options=load_options(args),
    )
    for s, report in result.manifest["strategies"].items():
        print(f"{report['summary']} -> {result.outputs[s]}")
    print(f"manifest: {result.manifest_path}")
    return EXIT_OK


def describe_instrument(inst: Instrument) -> list[str]:
    """Lines describing an instrument from its own data (``cma-research instruments``).

    Its name and title, source, each stage/dimension (in the instrument's own word)
    with number, name and short name, each level with its label (and CMM name), the
    target level and how many criteria it defines.

    >>> from cma_research.core.instrument import get_instrument
    >>> lines = describe_instrument(get_instrument("managing_customers_framework"))
    >>> print(lines[2][:50])
      6 dimensions: 1 Sales (sales), 2 Service (servic
    >>> print(lines[4]); print(lines[5])
      target: Run (4)
      criteria: 36 (6 dimensions x levels 0-5)
    """
    noun = inst.stage_noun
    plural = f"{noun}s" if len(inst.stages) != 1 else noun
    stages = ", ".join(f"{s.number} {s.name} ({s.short_name})" for s in inst.stages)
    levels = ", ".join(
        f"{lv.value} {lv.label}" + (f" ({lv.cmm_name})" if lv.cmm_name else "")
        for lv in inst.levels
    )
    by_level = sorted({v for s in inst.stages for v in s.criteria})
    n_criteria = sum(len(s.criteria) for s in inst.stages)
    lines = [
        f"{inst.name}: {inst.title}",
        f"  source: {' '.join(inst.source.split())}",
        f"  {len(inst.stages)} {plural}: {stages}",
        f"  levels {inst.min_level}-{inst.max_level}: {levels}",
    ]
    if inst.target_level is not None:
        target = next(lv for lv in inst.levels if lv.value == inst.target_level)
        lines.append(f"  target: {target.label} ({target.value})")
    else:
        lines.append("  target: none defined")
    if n_criteria:
        span = f"levels {by_level[0]}-{by_level[-1]}" if by_level else ""
        lines.append(f"  criteria: {n_criteria} ({len(inst.stages)} {plural} x {span})")
    else:
        lines.append("  criteria: none")
    return lines


def instruments_command(args: argparse.Namespace) -> int:
    """``cma-research instruments``: describe every bundled instrument."""
    for name in list_instruments():
        print("\n".join(describe_instrument(get_instrument(name))))
    return EXIT_OK
