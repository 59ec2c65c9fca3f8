"""The report commands: ``build``, ``business-report`` and ``claims``.

Their heavy imports (notebooks, HTML reports, matplotlib) happen inside each command,
so that ``import cma_research.cli`` stays light.
"""

from __future__ import annotations

import argparse
import sys

from cma_research.cli.parser import EXIT_OK, _load_options
from cma_research.core.errors import ParameterError
from cma_research.io.returns import load_returns


def _claims(args: argparse.Namespace) -> int:
    from cma_research.analysis.claims import audit_claims, audit_lines, claims_gate
    from cma_research.io.claims import load_claims

    claims = load_claims(args.claims)  # a bad claims file stops here, before any output
    cohort = load_returns(args.file, args.instrument, **_load_options(args))
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


def _business_report(args: argparse.Namespace) -> int:
    import hashlib
    from pathlib import Path

    from cma_research.core.files import guard_not_raw
    from cma_research.reporting.business import write_business_reports
    from cma_research.reporting.pseudonym import read_key

    def whole(option: str, text: str, low: int) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or str(text).strip() != str(value):
            raise ParameterError(f"{option} {text!r} must be a whole number >= {low}")
        return value

    k = whole("--disclosure-k", args.k, 1)
    jobs = whole("--jobs", args.jobs, 1)
    out = guard_not_raw(args.output_dir)
    key = None
    if args.pseudonymise is not None:
        key_path = Path(args.pseudonymise).resolve()
        if out == key_path.parent or out in key_path.parents:
            raise ParameterError(
                f"--pseudonymise {args.pseudonymise}: the key file is inside the output folder "
                f"{args.output_dir}, so it would be shared with the reports; keep it elsewhere"
            )
        key = read_key(key_path)
    cohort = load_returns(args.file, args.instrument, **_load_options(args))
    target = None
    if args.target_level is not None:
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
    manifest = "disclosure.json"
    if not args.all:
        tag = hashlib.sha256("\0".join(args.business).encode("utf-8", "surrogatepass"))
        manifest = f"disclosure-{tag.hexdigest()[:10]}.json"
    result = write_business_reports(
        cohort,
        out,
        None if args.all else args.business,
        k=k,
        target_level=target,
        wave=args.wave,
        key=key,
        show_names=args.show_names,
        jobs=jobs,
        index=args.all,
        manifest_name=manifest,
        scheduler=args.scheduler,
    )
    if args.all:
        print(f"{len(result.pages)} reports in {args.output_dir}; start at {result.index}")
    else:
        for path in result.pages.values():
            print(path)
    print(f"disclosure manifest: {result.manifest}")
    return EXIT_OK


def _build(args: argparse.Namespace) -> int:
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
