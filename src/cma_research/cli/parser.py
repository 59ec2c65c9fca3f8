"""The ``cma-research`` argument parser, its exit statuses and the shared load options."""

from __future__ import annotations

import argparse
import re
from typing import Any

from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES
from cma_research.core.version import __version__

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_ERROR",
    "EXIT_OK",
    "LOADER_FLAGS",
    "alias_options",
    "build_parser",
    "load_options",
    "terminal_safe",
]

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head`


# C0 and C1 control characters (but tab) and the bidirectional overrides, which can
# rewrite what a terminal shows (an escape sequence from a claims file clearing the
# screen, a right-to-left override reversing a verdict)
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(line: str) -> str:
    r"""``line`` with every control character shown as an escape (``\x1b``), never sent
    to the terminal raw.

    Everything the command line echoes from a file or an argument goes through this.

    >>> terminal_safe("quote \x1b[2J\u202eevil")
    'quote \\x1b[2J\\u202eevil'
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1].replace("'", ""), line)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one ``error:`` line, exit status 2."""

    def error(self, message: str) -> Any:  # argparse's signature is NoReturn
        self.exit(EXIT_ERROR, f"error: {terminal_safe(message)} (see {self.prog} --help)\n")


#: The loader options of the command line (refused together with --study: the study file
#: holds them).
LOADER_FLAGS = {
    "instrument": "--instrument",
    "form": "--form",
    "encoding": "--encoding",
    "sep": "--sep",
    "sheet": "--sheet",
    "header_row": "--header-row",
    "alias": "--alias",
    "na_value": "--na-value",
}


def _add_load_options(p: argparse.ArgumentParser, study: bool = True) -> None:
    if study:
        p.add_argument(
            "file", nargs="?", help="returns file (.csv, .tsv or .xlsx), or give --study"
        )
        p.add_argument(
            "--study",
            metavar="FILE",
            help="study file (cma-research init writes one): the returns and how to read them",
        )
    else:
        p.add_argument("file", help="returns file (.csv, .tsv or .xlsx)")
    p.add_argument(
        "--instrument",
        help="bundled instrument name or instrument file (default: customer_wise_2007)",
    )
    p.add_argument(
        "--form",
        choices=["auto", "wide", "long"],
        help="wide (a column per stage) or long (stage and level columns); default: auto",
    )
    p.add_argument("--encoding", help="text encoding, e.g. cp1252 (default: UTF-8)")
    p.add_argument("--sep", help="delimiter (default: from suffix or header line)")
    p.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    p.add_argument(
        "--header-row",
        type=int,
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


def alias_options(items: list[str]) -> dict[str, str]:
    """``--alias HEADER=TARGET`` arguments as a mapping."""
    aliases = {}
    for item in items:
        header, sep, target = item.partition("=")
        if not sep or not header.strip() or not target.strip():
            raise ParameterError(f"--alias {item!r} must look like HEADER=TARGET")
        aliases[header.strip()] = target.strip()
    return aliases


def load_options(args: argparse.Namespace) -> dict[str, Any]:
    """The loader options of a command's arguments, as keywords of ``load_returns``."""
    aliases = alias_options(args.alias)
    options: dict[str, Any] = {
        "form": args.form or "auto",
        "header_row": args.header_row if args.header_row is not None else 1,
    }
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
    _add_init(sub)
    _add_validate(sub)
    _add_process(sub)
    _add_build(sub)
    _add_business_report(sub)
    _add_claims(sub)
    _add_key(sub)
    sub.add_parser("instruments", help="list the bundled instruments")
    return parser


def _add_validate(sub: Any) -> None:
    """``validate FILE``: the load options."""
    v = sub.add_parser("validate", help="check a returns file and summarise it")
    _add_load_options(v)


def _add_init(sub: Any) -> None:
    """``init FILE``: inspect a returns file, write a study file (and set up a folder)."""
    i = sub.add_parser(
        "init",
        help="inspect a returns file as a person would and write a study file (study.yaml)",
    )
    i.add_argument("file", nargs="?", help="returns file (.csv, .tsv or .xlsx)")
    i.add_argument(
        "--example",
        action="store_true",
        help="set up the bundled 2007 study (its study file and data) instead of a file",
    )
    i.add_argument(
        "--instrument",
        default="customer_wise_2007",
        help="bundled instrument name or instrument file (default: %(default)s)",
    )
    i.add_argument(
        "--output", default="study.yaml", metavar="FILE", help="study file (default: %(default)s)"
    )
    i.add_argument(
        "--with-notebooks",
        action="store_true",
        help="copy the notebooks into notebooks/ beside the study file, to edit in JupyterLab",
    )
    i.add_argument("--title", help="the study's title (default: the file's name)")
    i.add_argument("--sheet", help="the sheet of returns, when several could be")
    i.add_argument("--header-row", type=int, metavar="N", help="the header row, when unclear")
    i.add_argument("--encoding", help="text encoding of a CSV, e.g. cp1252 (default: UTF-8)")
    i.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar="HEADER=TARGET",
        help='a column named otherwise, e.g. --alias "Ref=business_id" (repeatable)',
    )
    i.add_argument(
        "--na-value",
        action="append",
        default=[],
        metavar="TEXT",
        help="a cell text meaning not assessed, besides the usual ones (repeatable)",
    )
    i.add_argument("--wave-column", metavar="NAME", help="the column telling the rounds apart")
    i.add_argument(
        "--rounds",
        metavar="RULE",
        help="group audit dates into rounds: year, 'gap N' or 'Label=first..last; ...'",
    )
    i.add_argument(
        "--dates",
        choices=["iso", "day-first", "month-first"],
        help="how text dates are written (default: found, else day first)",
    )


def _add_process(sub: Any) -> None:
    """``process FILE``: strategies, imputations and the output folder."""
    pr = sub.add_parser("process", help="validate, clean and write data/processed/")
    _add_load_options(pr, study=False)
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
    b.add_argument(
        "--study",
        metavar="FILE",
        help="study file (default: study.yaml here, unless --params names a returns file)",
    )
    b.add_argument("--params", metavar="FILE.yaml", help="parameter values (YAML mapping)")
    b.add_argument("--only", nargs="+", metavar="NAME", help="run only these notebooks")
    b.add_argument("--jobs", type=int, help="notebooks run at once (default: CPU cores)")
    b.add_argument("--output-dir", help="reports folder (default: the study's output folder)")
    b.add_argument(
        "--notebooks-dir",
        help="notebooks folder (default: the study's notebooks/, else the package's)",
    )
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
        metavar="K",
        help="fewest other businesses behind any peer statistic (default: the study's, else 5;"
        " 1 = none)",
    )
    br.add_argument(
        "--pseudonymise",
        metavar="KEYFILE",
        help="replace ids with keyed pseudonyms (HMAC-SHA256; keep the key file private)",
    )
    br.add_argument(
        "--show-names", action="store_true", help="show free text (business type, assessor)"
    )
    br.add_argument(
        "--show-identifying",
        action="store_true",
        help="show exact staff numbers and audit dates (default: size band and month)",
    )
    br.add_argument("--jobs", default="1", metavar="N", help="pages rendered at once")
    br.add_argument(
        "--scheduler", metavar="ADDRESS", help="render on a Dask cluster (tcp://host:8786)"
    )
    br.add_argument(
        "--output-dir",
        help="default: businesses/ in the study's output folder, else reports/businesses",
    )


def _add_claims(sub: Any) -> None:
    """``claims FILE --claims CLAIMS.yaml``: the gate and the resampling counts."""
    cl = sub.add_parser("claims", help="audit a paper's claims against the returns")
    _add_load_options(cl)
    cl.add_argument(
        "--claims", metavar="CLAIMS.yaml", help="claims file (default: the study's claims)"
    )
    cl.add_argument(
        "--recruitment",
        metavar="FILE",
        help="recruitment funnel file (optional; default: the study's)",
    )
    cl.add_argument("--check", action="store_true", help="exit 1 if a must_hold claim fails")
    cl.add_argument("--seed", type=int, default=0, help="for correlations (default: 0)")
    cl.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default: 2000)")
    cl.add_argument("--n-perm", type=int, default=100_000, help="permutations (default: 100000)")
    cl.add_argument(
        "--wave",
        help="wave the one-wave claims describe and the follow-up of claims about change "
        "(label or number; default: the latest)",
    )
    cl.add_argument(
        "--baseline-wave",
        help="baseline of claims about change (label or number; default: the first wave)",
    )


def _add_key(sub: Any) -> None:
    """``key new FILE``: a pseudonymisation key."""
    key = sub.add_parser(
        "key",
        help="make a pseudonymisation key (cma-research key new FILE)",
        description="A key is a secret that turns business ids into pseudonyms "
        "(--pseudonymise KEYFILE); whoever holds it can map pseudonyms back to businesses. "
        "Keep it away from the returns and the reports.",
    )
    actions = key.add_subparsers(dest="key_action", required=True)
    new = actions.add_parser(
        "new", help="write 64 random hex digits to FILE, readable by you only (never overwrites)"
    )
    new.add_argument("key_file", metavar="FILE", help="the key file to make")
