"""The report commands: ``build``, ``business-report``, ``claims`` and ``key``.

Their heavy imports (notebooks, HTML reports, matplotlib) happen inside each command,
so that ``import cma_research.cli`` stays light.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cma_research.cli.parser import EXIT_OK, terminal_safe
from cma_research.cli.study import study_cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import check_parameter

if TYPE_CHECKING:
    from cma_research.core.cohort import Cohort

__all__ = ["build_command", "business_report_command", "claims_command", "key_command"]


def claims_command(args: argparse.Namespace) -> int:
    """``cma-research claims FILE --claims CLAIMS.yaml``: audit a paper's claims.

    With ``--study`` the claims file and the recruitment funnel default to the study's.
    """
    from cma_research.analysis.claims import audit_claims, audit_lines, claims_gate
    from cma_research.io.claims import load_claims

    for name in ("seed", "n_boot", "n_perm"):  # the parameter table's bounds, before any work
        check_parameter(name, getattr(args, name))
    claims = None
    if args.claims is not None:
        claims = load_claims(args.claims)  # a bad claims file stops here, before any output
    found = study_cohort(args)
    study = found.study
    claims_path = args.claims or (study.claims if study is not None else None)
    if claims_path is None:
        raise ParameterError(
            "--claims CLAIMS.yaml: give a claims file (the study has none: claims: null)"
        )
    if claims is None:
        claims = load_claims(claims_path)
    recruitment = args.recruitment or (study.recruitment if study is not None else None)
    audit = audit_claims(
        found.cohort,
        claims,
        recruitment=recruitment,
        seed=args.seed,
        n_boot=args.n_boot,
        n_perm=args.n_perm,
        wave=args.wave,
        baseline_wave=args.baseline_wave,
    )
    print("\n".join(terminal_safe(line) for line in audit_lines(audit)))
    if not args.check:
        return EXIT_OK
    failing = claims_gate(audit, claims)
    for line in failing:
        print(f"check failed: {terminal_safe(line)}", file=sys.stderr)
    if failing:
        return 1
    print(
        terminal_safe(f"check passed: every must_hold claim of {claims_path} holds in the returns")
    )
    return EXIT_OK


def business_report_command(args: argparse.Namespace) -> int:
    """``cma-research business-report FILE``: one HTML audit report per business.

    Checks the options first (``--disclosure-k``, ``--jobs``, the output folder, the key
    file), then loads the returns and the target level, then writes the pages. With
    ``--study`` the disclosure k, the key and the output folder (``businesses/`` in the
    study's output folder) default to the study's.
    """
    from cma_research.core.files import guard_not_raw
    from cma_research.reporting.business import write_business_reports

    found = study_cohort(args)
    study = found.study
    k_text = args.k
    if k_text is None:
        k_text = str(study.disclosure_k) if study and study.disclosure_k else "5"
    k = _whole_number("--disclosure-k", k_text, 1)
    jobs = _whole_number("--jobs", args.jobs, 1)
    default_out = study.output / "businesses" if study is not None else "reports/businesses"
    out = guard_not_raw(args.output_dir or default_out)
    key_file = args.pseudonymise or (study.pseudonymise if study is not None else None)
    key = _pseudonym_key(key_file, out)
    cohort = found.cohort
    result = write_business_reports(
        cohort,
        out,
        None if args.all else args.business,
        k=k,
        target_level=_target_level(args, cohort),
        wave=args.wave,
        key=key,
        show_names=args.show_names,
        show_identifying=args.show_identifying,
        jobs=jobs,
        index=args.all,
        scheduler=args.scheduler,
    )
    if result.removed:
        print(
            f"removed {len(result.removed)} file(s) of earlier batches in {args.output_dir or out} "
            "(other settings, real ids beside pseudonyms, or an interrupted batch)",
            file=sys.stderr,
        )
    if args.all:
        print(
            terminal_safe(
                f"{len(result.pages)} reports in {args.output_dir or out}; start at {result.index}"
            )
        )
    else:
        for path in result.pages.values():
            print(terminal_safe(str(path)))
    print(terminal_safe(f"disclosure manifest: {result.manifest}"))
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


def _pseudonym_key(key_file: str | Path | None, out: Path) -> bytes | None:
    """The pseudonymisation key, refused when it lies inside the output folder."""
    from cma_research.reporting.pseudonym import read_key

    if key_file is None:
        return None
    key_path = Path(key_file).resolve()
    if out == key_path.parent or out in key_path.parents:
        raise ParameterError(
            f"--pseudonymise {key_file}: the key file is inside the output folder "
            f"{out.name}, so it would be shared with the reports; keep it elsewhere"
        )
    return read_key(key_path, warn=lambda line: print(f"warning: {line}", file=sys.stderr))


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


def key_command(args: argparse.Namespace) -> int:
    """``cma-research key new FILE``: a new pseudonymisation key, readable by its owner only."""
    from cma_research.reporting.pseudonym import new_key

    path = new_key(args.key_file)
    print(
        f"wrote a new key to {path} (64 random hex digits, readable by you only). Use it "
        "with --pseudonymise; keep it away from the returns and the reports, and keep a "
        "copy: whoever holds it can map pseudonyms back to businesses, and without it the "
        "same businesses get new pseudonyms."
    )
    return EXIT_OK


def build_command(args: argparse.Namespace) -> int:
    """``cma-research build``: run the notebooks and rebuild every report (or a sweep)."""
    from cma_research.pipeline.build import build, build_sweep

    if args.sweep:
        sets = build_sweep(
            args.sweep,
            study=args.study,
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
        study=args.study,
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
        return _check_claims(result.parameters)
    return EXIT_OK


def _check_claims(parameters: dict[str, Any]) -> int:
    """The build's claims gate: every must_hold claim must still be supported."""
    from cma_research.analysis.claims import audit_claims, claims_gate
    from cma_research.io.claims import load_claims
    from cma_research.io.study import cohort_from_parameters

    if not parameters.get("claims_path"):
        raise ParameterError(
            "--check-claims: the build has no claims file (claims: in the study file, or "
            "claims_path in --params)"
        )
    claims = load_claims(parameters["claims_path"])
    cohort = cohort_from_parameters(parameters)
    audit = audit_claims(
        cohort, claims, recruitment=parameters.get("recruitment_path"), wave=parameters.get("wave")
    )
    failing = claims_gate(audit, claims)
    for line in failing:
        print(f"claim check failed: {line}", file=sys.stderr)
    if failing:
        return 1
    print("claim check passed: every must_hold claim holds in the returns")
    return EXIT_OK
