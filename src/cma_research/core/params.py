"""One table of parameter constraints, read by the API, the CLI and the build.

Every named option the package accepts in more than one place is declared here once
(in the spirit of scikit-learn's ``_param_validation``): the missing-data strategies, the
ranges of counts and seeds, and the checks whose bounds come from the instrument (a
target level must be one of the instrument's levels, ``min_stages`` at most its number of
stages). The functions raise :class:`~cma_research.core.errors.ParameterError` with the
parameter's name, the value and what is allowed; :func:`parameter_problems` returns the
same messages as a list so the build can report every problem before any kernel starts.

>>> check_int("n_boot", 2000, minimum=0)
2000
>>> check_choice("missing_strategy", "listwise", STRATEGIES)
Traceback (most recent call last):
...
cma_research.core.errors.ParameterError: missing_strategy='listwise' is not allowed; ...
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from cma_research.core.errors import ParameterError

if TYPE_CHECKING:  # same layer: Instrument is a core type
    from cma_research.core.instrument import Instrument

__all__ = [
    "DEPENDENCIES",
    "ESTIMANDS",
    "HEADLINE_STRATEGIES",
    "MAX_IMPUTATIONS",
    "MAX_RESAMPLES",
    "MAX_SEED",
    "PARAMETERS",
    "STRATEGIES",
    "Constraint",
    "Strategy",
    "check_choice",
    "check_int",
    "check_level",
    "check_parameter",
    "parameter_problems",
]

Strategy = Literal[
    "complete_case",
    "available_case",
    "min_stages",
    "stage_median",
    "business_mean",
    "multiple",
    "blank_as_zero",
]
#: The missing-data strategy names, in documentation order (see cma_research.missing).
STRATEGIES: tuple[str, ...] = get_args(Strategy)
#: What the notebooks' ``missing_strategy`` accepts: ``auto`` (the headline strategy
#: rule of :mod:`cma_research.analysis.headline` decides) or a strategy.
HEADLINE_STRATEGIES: tuple[str, ...] = ("auto", *STRATEGIES)

#: The estimands of the size question a study can declare primary (parameter
#: ``primary_estimand``; see :func:`cma_research.analysis.models.estimands`).
ESTIMANDS: tuple[str, ...] = ("size_correlation", "ols_slope", "ordinal_slope")

T = TypeVar("T")


def check_choice(name: str, value: T, allowed: Iterable[Any]) -> T:
    """Return ``value`` if it is one of ``allowed``; else a ParameterError naming both."""
    allowed = list(allowed)
    if value not in allowed:
        raise ParameterError(
            f"{name}={value!r} is not allowed; expected one of: "
            + ", ".join(repr(a) for a in allowed)
        )
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an int if it is a whole number within the bounds.

    >>> check_int("m", 1, minimum=2)
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: m=1 must be a whole number >= 2
    """
    bounds = _bounds_text(minimum, maximum)
    if not _is_int(value):
        raise ParameterError(f"{name}={value!r} must be a whole number{bounds}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ParameterError(f"{name}={value!r} must be a whole number{bounds}")
    return int(value)


def _bounds_text(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def check_level(name: str, value: Any, instrument: Instrument) -> int:
    """Return ``value`` if it is one of the instrument's levels (its own labels named).

    >>> from cma_research.core.instrument import get_instrument
    >>> check_level("target_level", 9, get_instrument("managing_customers_framework"))
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: target_level=9 is not a level of
    managing_customers_framework; expected one of 0 (Proto), 1 (Crawl), 2 (Walk), 3 (Jog),
    4 (Run), 5 (Fly)
    """
    levels = [lv.value for lv in instrument.levels]
    if not _is_int(value) or value not in levels:
        allowed = ", ".join(f"{lv.value} ({lv.label})" for lv in instrument.levels)
        raise ParameterError(
            f"{name}={value!r} is not a level of {instrument.name}; expected one of {allowed}"
        )
    return int(value)


@dataclass(frozen=True)
class Constraint:
    """What one parameter accepts.

    ``kind`` is ``"choice"`` (one of ``choices``), ``"int"`` (whole number within
    ``minimum``..``maximum``; ``maximum="stages"`` means the instrument's number of
    stages) or ``"level"`` (one of the instrument's levels). ``optional`` allows None.
    """

    kind: Literal["choice", "int", "level"]
    minimum: int | None = None
    maximum: int | Literal["stages"] | None = None
    choices: tuple[Any, ...] = ()
    optional: bool = False

    def problem(self, name: str, value: Any, instrument: Instrument | None) -> str | None:
        """The message for an unacceptable ``value``, or None."""
        if value is None:
            return None if self.optional else f"{name}=None is not allowed; a value is required"
        try:
            if self.kind == "choice":
                check_choice(name, value, self.choices)
            elif self.kind == "int":
                maximum = self.maximum
                if maximum == "stages":
                    maximum = len(instrument.stages) if instrument is not None else None
                check_int(name, value, minimum=self.minimum, maximum=maximum)
            elif instrument is not None:
                check_level(name, value, instrument)
            else:
                check_int(name, value, minimum=0)
        except ParameterError as exc:
            return str(exc)
        return None


#: Most resamples (bootstrap, permutations) one statistic may ask for: work is bounded.
MAX_RESAMPLES = 1_000_000
#: Largest seed (numpy's legacy seeds and most other generators take 32 bits).
MAX_SEED = 2**32 - 1
#: Most imputations of multiple imputation.
MAX_IMPUTATIONS = 1_000

#: Every shared parameter of the notebooks, the CLI and the API, declared once.
PARAMETERS: dict[str, Constraint] = {
    "missing_strategy": Constraint("choice", choices=HEADLINE_STRATEGIES),
    "min_stages": Constraint("int", minimum=1, maximum="stages", optional=True),
    "seed": Constraint("int", minimum=0, maximum=MAX_SEED),
    "n_boot": Constraint("int", minimum=0, maximum=MAX_RESAMPLES),
    "n_perm": Constraint("int", minimum=0, maximum=MAX_RESAMPLES),
    "omega_boot": Constraint("int", minimum=0, maximum=MAX_RESAMPLES),
    "m_imputations": Constraint("int", minimum=2, maximum=MAX_IMPUTATIONS),
    "target_level": Constraint("level"),
    "disclosure_k": Constraint("int", minimum=1),
    "header_row": Constraint("int", minimum=1, optional=True),
    "primary_estimand": Constraint("choice", choices=ESTIMANDS),
}


def check_parameter(name: str, value: Any, instrument: Instrument | None = None) -> Any:
    """``value`` if :data:`PARAMETERS` accepts it for ``name``; else its ParameterError.

    The command line and the claims files check their options with this, so that
    ``--seed -1`` or ``--n-boot 2000000000`` get the same one line as a notebook
    parameter.

    >>> check_parameter("n_boot", 2000)
    2000
    >>> check_parameter("n_boot", 2_000_000_000)
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: n_boot=2000000000 must be a whole number from 0 to ...
    """
    message = PARAMETERS[name].problem(name, value, instrument)
    if message is not None:
        raise ParameterError(message)
    return value


#: (parameter, value, needs): when ``parameter`` has ``value``, ``needs`` must be set.
DEPENDENCIES: tuple[tuple[str, Any, str], ...] = (("missing_strategy", "min_stages", "min_stages"),)


def parameter_problems(values: Mapping[str, Any], instrument: Instrument | None) -> list[str]:
    """Every problem with ``values`` under :data:`PARAMETERS` and :data:`DEPENDENCIES`.

    >>> from cma_research.core.instrument import get_instrument
    >>> parameter_problems({"missing_strategy": "min_stages", "min_stages": None},
    ...                    get_instrument("customer_wise_2007"))
    ["missing_strategy='min_stages' needs min_stages (a whole number from 1 to 10)"]
    """
    problems = []
    for name, value in values.items():
        constraint = PARAMETERS.get(name)
        if constraint is not None:
            message = constraint.problem(name, value, instrument)
            if message:
                problems.append(message)
    for name, trigger, needed in DEPENDENCIES:
        if values.get(name) == trigger and values.get(needed) is None:
            c = PARAMETERS[needed]
            top = len(instrument.stages) if (c.maximum == "stages" and instrument) else c.maximum
            bounds = _bounds_text(c.minimum, top if isinstance(top, int) else None)
            problems.append(f"{name}={trigger!r} needs {needed} (a whole number{bounds})")
    return problems
