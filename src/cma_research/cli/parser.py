"""The ``cma-research`` argument parser, its exit statuses and the shared load options."""

from __future__ import annotations

import argparse
from typing import Any

from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES
from cma_research.core.version import __version__

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_ERROR",
    "EXIT_OK",
    "build_parser",
    "load_options",
]

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


def load_options(args: argparse.Namespace) -> dict[str, Any]:
    """The loader options of a command's arguments, as keywords of ``load_returns``."""
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
    _add_validate(sub)
    _add_process(sub)
    _add_build(sub)
    _add_business_report(sub)
    _add_claims(sub)
    sub.add_parser("instruments", help="list the bundled instruments")
    return parser


def _add_validate(sub: Any) -> None:
    """``validate FILE``: the load options."""
    v = sub.add_parser("validate", help="check a returns file and summarise it")
    _add_load_options(v)


def _add_process(sub: Any) -> None:
    """``process FILE``: strategies, imputations and the output folder."""
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


def _add_build(sub: Any) -> None:
    """``build``: parameters, notebooks, caches, sweeps and clusters."""
    b = sub.add_parser("build", help="run the notebooks and rebuild every report")
    b.add_argument("--params", metavar="FILE.yaml", help="parameter values (YAML mapping)")
    b.add_argument("--only", nargs="+", metavar="NAME", help="run only these notebooks")
    b.add_argument("--jobs", type=int, help="notebooks run at once (default: CPU cores)")
    b.add_argument("--output-dir", help="reports folder (default: reports/)")
    b.add_argument("--notebooks-dir", default="notebooks", help="default: %(default)s")
    b.add_argument(
        "--force",
        action="store_true",
        help="re-run every notebook and render every figure (ignore the caches)",
    )
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


def _add_business_report(sub: Any) -> None:
    """``business-report FILE``: which businesses, disclosure, pseudonyms."""
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


def _add_claims(sub: Any) -> None:
    """``claims FILE --claims CLAIMS.yaml``: the gate and the resampling counts."""
    cl = sub.add_parser("claims", help="audit a paper's claims against the returns")
    _add_load_options(cl)
    cl.add_argument("--claims", required=True, metavar="CLAIMS.yaml", help="claims file")
    cl.add_argument("--recruitment", metavar="FILE", help="recruitment funnel file (optional)")
    cl.add_argument("--check", action="store_true", help="exit 1 if a must_hold claim fails")
    cl.add_argument("--seed", type=int, default=0, help="for correlations (default: 0)")
    cl.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default: 2000)")
    cl.add_argument("--n-perm", type=int, default=100_000, help="permutations (default: 100000)")
