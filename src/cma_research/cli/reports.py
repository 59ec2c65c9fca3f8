"""The report commands: ``build``, ``business-report`` and ``claims``.

Their heavy imports (notebooks, HTML reports, matplotlib) happen inside each command,
so that ``import cma_research.cli`` stays light.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cma_research.cli.parser import EXIT_OK, load_options
from cma_research.core.errors import ParameterError

if TYPE_CHECKING:
    from cma_research.core.cohort import Cohort

__all__ = ["build_command", "business_report_command", "claims_command"]


def claims_command(args: argparse.Namespace) -> int:
    """``cma-research claims FILE --claims CLAIMS.yaml``: audit a paper's claims."""
    from cma_research.analysis.claims import audit_claims, audit_lines, claims_gate
    from cma_research.io.claims import load_claims
    from cma_research.io.returns import load_returns

    claims = load_claims(args.claims)  # a bad claims file stops here, before any output
    cohort = load_returns(args.file, args.instrument, **load_options(args))
    audit = audit_claims(
        cohort,
        claims,
        recruitment=args.recruitment,
        seed=args.seed,
        n_boot=args.n_boot,
        n_perm=args.n_perm,
    )
    print("\n".join(audit_lines(audit)))
    if not args.check:
        return EXIT_OK
    failing = claims_gate(audit, claims)
    for line in failing:
        print(f"check failed: {line}", file=sys.stderr)
    if failing:
        return 1
    print(f"check passed: every must_hold claim of {args.claims} is supported")
    return EXIT_OK


def business_report_command(args: argparse.Namespace) -> int:
    """``cma-research business-report FILE``: one HTML audit report per business.

    Checks the options first (``--disclosure-k``, ``--jobs``, the output folder, the key
    file), then loads the returns and the target level, then writes the pages.
    """
    from cma_research.core.files import guard_not_raw
    from cma_research.io.returns import load_returns
    from cma_research.reporting.business import write_business_reports

    k = _whole_number("--disclosure-k", args.k, 1)
    jobs = _whole_number("--jobs", args.jobs, 1)
    out = guard_not_raw(args.output_dir)
    key = _pseudonym_key(args, out)
    cohort = load_returns(args.file, args.instrument, **load_options(args))
    result = write_business_reports(
        cohort,
        out,
        None if args.all else args.business,
        k=k,
        target_level=_target_level(args, cohort),
        wave=args.wave,
        key=key,
        show_names=args.show_names,
        jobs=jobs,
        index=args.all,
        manifest_name=_disclosure_manifest_name(args),
        scheduler=args.scheduler,
    )
    if args.all:
        print(f"{len(result.pages)} reports in {args.output_dir}; start at {result.index}")
    else:
        for path in result.pages.values():
            print(path)
    print(f"disclosure manifest: {result.manifest}")
    return EXIT_OK


def _whole_number(option: str, text: str, low: int) -> int:
    """``text`` as a whole number >= ``low``, or one error line naming the option."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or str(text).strip() != str(value):
        raise ParameterError(f"{option} {text!r} must be a whole number >= {low}")
    return value


def _pseudonym_key(args: argparse.Namespace, out: Path) -> bytes | None:
    """The ``--pseudonymise`` key, refused when it lies inside the output folder."""
    from cma_research.reporting.pseudonym import read_key

    if args.pseudonymise is None:
        return None
    key_path = Path(args.pseudonymise).resolve()
    if out == key_path.parent or out in key_path.parents:
        raise ParameterError(
            f"--pseudonymise {args.pseudonymise}: the key file is inside the output folder "
            f"{args.output_dir}, so it would be shared with the reports; keep it elsewhere"
        )
    return read_key(key_path)


def _target_level(args: argparse.Namespace, cohort: Cohort) -> int | None:
    """The ``--target-level`` as a level of the cohort's instrument (None: its own target)."""
    if args.target_level is None:
        return None
    levels = cohort.instrument.level_values
    try:
        target = int(args.target_level)
    except ValueError:
        target = None
    if target not in levels or str(args.target_level).strip() != str(target):
        raise ParameterError(
            f"--target-level {args.target_level!r} is not a level of "
            f"{cohort.instrument.name}; expected a whole number from {levels[0]} to "
            f"{levels[-1]}"
        )
    return target


def _disclosure_manifest_name(args: argparse.Namespace) -> str:
    """``disclosure.json`` for ``--all``; else one name per set of businesses."""
    if args.all:
        return "disclosure.json"
    tag = hashlib.sha256("\0".join(args.business).encode("utf-8", "surrogatepass"))
    return f"disclosure-{tag.hexdigest()[:10]}.json"


def build_command(args: argparse.Namespace) -> int:
    """``cma-research build``: run the notebooks and rebuild every report (or a sweep)."""
    from cma_research.pipeline.build import build, build_sweep

    if args.sweep:
        sets = build_sweep(
            args.sweep,
            output_dir=args.output_dir,
            params_file=args.params,
            only=args.only,
            jobs=args.jobs,
            notebooks_dir=args.notebooks_dir,
            force=args.force,
            cache_dir=args.cache_dir,
            scheduler=args.scheduler,
        )
        for combo, result in sets:
            status = "ok" if result.ok else "FAILED"
            print(f"{status:6} {', '.join(f'{k}={v}' for k, v in combo.items())}")
        print(f"sweep: {sum(r.ok for _, r in sets)} of {len(sets)} sets built")
        return EXIT_OK if all(r.ok for _, r in sets) else 1

    result = build(
        params_file=args.params,
        only=args.only,
        jobs=args.jobs,
        output_dir=args.output_dir,
        notebooks_dir=args.notebooks_dir,
        force=args.force,
        dry_run=args.dry_run,
        cache_dir=args.cache_dir,
        scheduler=args.scheduler,
    )
    if args.dry_run:
        print("\n".join(result.plan))
        return EXIT_OK
    print(result.summary())
    if not result.ok:
        return 1
    if args.check_claims:
        return _check_claims(result.inputs)
    return EXIT_OK


def _check_claims(inputs: dict[str, str]) -> int:
    """The build's claims gate: every must_hold claim must still be supported."""
    from cma_research.analysis.claims import audit_claims, claims_gate
    from cma_research.io.claims import load_claims
    from cma_research.io.returns import load_returns

    if not inputs.get("claims_path"):
        raise ParameterError("--check-claims: the build has no claims_path (set it in --params)")
    claims = load_claims(inputs["claims_path"])
    cohort = load_returns(inputs["returns_path"], inputs.get("instrument", "customer_wise_2007"))
    audit = audit_claims(cohort, claims, recruitment=inputs.get("recruitment_path"))
    failing = claims_gate(audit, claims)
    for line in failing:
        print(f"claim check failed: {line}", file=sys.stderr)
    if failing:
        return 1
    print("claim check passed: every must_hold claim is supported")
    return EXIT_OK
