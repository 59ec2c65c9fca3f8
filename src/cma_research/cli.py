"""The ``cma-research`` command line.

Every package error is printed as one line per problem on standard error, without a
traceback, and the command exits with status 2. So are operating-system failures (a
read-only or full disk, a folder where a file should be: ``error: PATH: reason``) and
mistyped arguments. When standard output is closed early (``cma-research validate f.csv
| head -1``) the command stops quietly with status 141, as a shell reports a program
ended by SIGPIPE (128 + 13).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, cast

from cma_research.core.errors import CMAError, ParameterError
from cma_research.core.instrument import Instrument, get_instrument, list_instruments
from cma_research.core.version import __version__
from cma_research.io.returns import load_returns
from cma_research.missing.missingness import missingness
from cma_research.missing.strategies import STRATEGIES, Strategy
from cma_research.pipeline.process import process

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head`


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one ``error:`` line, exit status 2."""

    def error(self, message: str) -> Any:  # argparse's signature is NoReturn
        self.exit(EXIT_ERROR, f"error: {message} (see {self.prog} --help)\n")


def _add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="returns file (.csv, .tsv or .xlsx)")
    p.add_argument(
        "--instrument",
        default="customer_wise_2007",
        help="bundled instrument name or instrument file (default: %(default)s)",
    )
    p.add_argument(
        "--form",
        choices=["auto", "wide", "long"],
        default="auto",
        help="wide (a column per stage) or long (stage and level columns)",
    )
    p.add_argument("--encoding", help="text encoding, e.g. cp1252 (default: UTF-8)")
    p.add_argument("--sep", help="delimiter (default: from suffix or header line)")
    p.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    p.add_argument(
        "--header-row",
        type=int,
        default=1,
        metavar="N",
        help="spreadsheet row holding the column names (default: 1)",
    )
    p.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar="HEADER=TARGET",
        help='extra header spelling, e.g. --alias "Headcount=staff" (repeatable)',
    )
    p.add_argument(
        "--na-value",
        action="append",
        metavar="TEXT",
        help="cell text meaning not assessed (repeatable; replaces the defaults)",
    )


def _load_options(args: argparse.Namespace) -> dict[str, Any]:
    aliases = {}
    for item in args.alias:
        header, sep, target = item.partition("=")
        if not sep or not header.strip() or not target.strip():
            raise ParameterError(f"--alias {item!r} must look like HEADER=TARGET")
        aliases[header.strip()] = target.strip()
    options: dict[str, Any] = {"form": args.form, "header_row": args.header_row}
    for key in ("encoding", "sep", "sheet"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    if aliases:
        options["aliases"] = aliases
    if args.na_value is not None:
        options["na_values"] = tuple(args.na_value)
    return options


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="cma-research",
        description="Validate, clean and analyse Customer Management Audit returns.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a returns file and summarise it")
    _add_load_options(v)

    pr = sub.add_parser("process", help="validate, clean and write data/processed/")
    _add_load_options(pr)
    pr.add_argument(
        "--strategy",
        action="append",
        choices=[*STRATEGIES, "all"],
        help="missing-stage strategy (repeatable; 'all' for every one; default: available_case)",
    )
    pr.add_argument("--min-stages", type=int, metavar="K", help="k for --strategy min_stages")
    pr.add_argument("--m", type=int, default=20, help="imputations for multiple (default: 20)")
    pr.add_argument("--seed", type=int, help="seed for multiple imputation (required for it)")
    pr.add_argument(
        "--output-dir", default="data/processed", help="output folder (default: %(default)s)"
    )

    b = sub.add_parser("build", help="run the notebooks and rebuild every report")
    b.add_argument("--params", metavar="FILE.yaml", help="parameter values (YAML mapping)")
    b.add_argument("--only", nargs="+", metavar="NAME", help="run only these notebooks")
    b.add_argument("--jobs", type=int, help="notebooks run at once (default: CPU cores)")
    b.add_argument("--output-dir", help="reports folder (default: reports/)")
    b.add_argument("--notebooks-dir", default="notebooks", help="default: %(default)s")
    b.add_argument("--force", action="store_true", help="re-run every notebook (ignore the cache)")
    b.add_argument(
        "--dry-run", action="store_true", help="print the plan (cached / re-run: why), run nothing"
    )
    b.add_argument("--cache-dir", help="build cache (default: .cma-cache/build in the project)")
    b.add_argument(
        "--sweep",
        metavar="FILE.yaml",
        help="build every set of a parameter grid into its own folder, plus a comparison index",
    )
    b.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the notebooks on a Dask cluster, e.g. tcp://host:8786 (or CMA_DASK_SCHEDULER)",
    )
    b.add_argument(
        "--check-claims",
        action="store_true",
        help="exit 1 when a must_hold claim of the claims file no longer holds",
    )

    br = sub.add_parser(
        "business-report",
        help="one HTML audit report per business (radar, road map, peers of at least k)",
    )
    _add_load_options(br)
    group = br.add_mutually_exclusive_group(required=True)
    group.add_argument("--business", nargs="+", metavar="ID", help="business id(s), e.g. B04")
    group.add_argument(
        "--all", action="store_true", help="every business of the wave, plus index.html"
    )
    br.add_argument("--target-level", metavar="LEVEL", help="default: the instrument's target")
    br.add_argument("--wave", help="wave label or number to report (default: the latest)")
    br.add_argument(
        "--disclosure-k",
        "--k",
        dest="k",
        default="5",
        metavar="K",
        help="fewest other businesses behind any peer statistic (default: 5; 1 = none)",
    )
    br.add_argument(
        "--pseudonymise",
        metavar="KEYFILE",
        help="replace ids with keyed pseudonyms (HMAC-SHA256; keep the key file private)",
    )
    br.add_argument(
        "--show-names", action="store_true", help="show free text (business type, assessor)"
    )
    br.add_argument("--jobs", default="1", metavar="N", help="pages rendered at once")
    br.add_argument(
        "--scheduler", metavar="ADDRESS", help="render on a Dask cluster (tcp://host:8786)"
    )
    br.add_argument("--output-dir", default="reports/businesses", help="default: %(default)s")

    cl = sub.add_parser("claims", help="audit a paper's claims against the returns")
    _add_load_options(cl)
    cl.add_argument("--claims", required=True, metavar="CLAIMS.yaml", help="claims file")
    cl.add_argument("--recruitment", metavar="FILE", help="recruitment funnel file (optional)")
    cl.add_argument("--check", action="store_true", help="exit 1 if a must_hold claim fails")
    cl.add_argument("--seed", type=int, default=0, help="for correlations (default: 0)")
    cl.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default: 2000)")
    cl.add_argument("--n-perm", type=int, default=100_000, help="permutations (default: 100000)")

    sub.add_parser("instruments", help="list the bundled instruments")
    return parser


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
    from cma_research.core.pseudonym import read_key
    from cma_research.reporting.business import write_business_reports

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


def _validate(args: argparse.Namespace) -> int:
    cohort = load_returns(args.file, args.instrument, **_load_options(args))
    miss = missingness(cohort)
    noun = cohort.instrument.stage_noun
    print(
        f"{args.file}: valid {cohort.instrument.name} returns "
        f"(sha256 {cohort.source.sha256[:12]}…, {cohort.source.form} form)"
    )
    if cohort.source.sheet is not None:
        print(f"  sheet read:       {cohort.source.sheet!r}")
    print(
        f"  businesses:       {cohort.n_businesses} in {len(cohort.waves)} wave(s), "
        f"{len(cohort)} returns"
    )
    print(f"  {noun}s assessed:  {miss.n_cells - miss.n_missing_cells} of {miss.n_cells} cells")
    print(f"  missing cells:    {miss.n_missing_cells} (not assessed; never counted as 0)")
    print(f"  complete cases:   {miss.n_complete_cases} of {len(cohort)}")
    per_stage = ", ".join(f"{s} {n}" for s, n in miss.missing_per_stage().items() if n)
    print(f"  not assessed per {noun}: {per_stage or 'none'}")
    return EXIT_OK


def _process(args: argparse.Namespace) -> int:
    chosen = args.strategy or ["available_case"]
    strategies = cast(list[Strategy], list(STRATEGIES) if "all" in chosen else chosen)
    if "min_stages" in strategies and args.min_stages is None:
        raise ParameterError("--strategy min_stages needs --min-stages K")
    if "multiple" in strategies and args.seed is None:
        raise ParameterError("--strategy multiple needs --seed N (results must be reproducible)")
    result = process(
        args.file,
        args.instrument,
        strategies=strategies,
        min_stages=args.min_stages,
        m=args.m,
        seed=args.seed,
        output_dir=args.output_dir,
        load_options=_load_options(args),
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 error, 141 closed output)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = _run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except CMAError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    """Run the chosen command; its exit status."""
    if args.command == "validate":
        return _validate(args)
    if args.command == "process":
        return _process(args)
    if args.command == "build":
        return _build(args)
    if args.command == "business-report":
        return _business_report(args)
    if args.command == "claims":
        return _claims(args)
    for name in list_instruments():
        print("\n".join(describe_instrument(get_instrument(name))))
    return EXIT_OK


def _os_error(exc: OSError) -> str:
    """One line for an operating-system failure: the path and the reason."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    text = f"{exc.filename}: {reason}" if exc.filename is not None else reason
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _silence_stdout() -> None:
    """Point standard output at /dev/null so the exit-time flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (e.g. captured in tests): nothing is flushed at exit


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
