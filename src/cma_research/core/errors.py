"""The package's exceptions: one base class, one subclass per kind of failure.

Every error the package raises on purpose is a :class:`CMAError`, so a caller (or the
command line) can catch exactly the package's own errors and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "CMAError",
    "DataValidationError",
    "InstrumentError",
    "ParameterError",
    "Problem",
    "ProblemCollector",
    "ReportBuildError",
    "shorten",
    "shorten_list",
]


#: Longest quoted value in a message; longer values are cut with an ellipsis.
MAX_QUOTED = 80


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """Cut ``text`` to ``limit`` characters with an ellipsis, saying how long it was.

    Messages quote the values they refuse; a 120,000-character cell must not become a
    120,000-character error line.

    >>> shorten("x" * 200, 10)
    'xxxxxxxxx… (200 characters)'
    >>> shorten("B04")
    'B04'
    """
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text):,} characters)"


#: Most values a message lists before it says how many there are.
MAX_LISTED = 10


def shorten_list(values: Sequence[object], limit: int = MAX_LISTED) -> str:
    """Values for a message, each quoted and shortened, at most ``limit`` of them.

    A cohort of 10,000 waves must not become a 10,000-item error line.

    >>> shorten_list(["Baseline", "Follow-up"])
    "'Baseline', 'Follow-up'"
    >>> shorten_list([str(i) for i in range(1, 10_001)], 3)
    "'1', '2', '3', … (10,000 in all)"
    """
    items = [repr(shorten(str(v))) for v in list(values)[:limit]]
    if len(values) > limit:
        items.append(f"… ({len(values):,} in all)")
    return ", ".join(items)


class CMAError(Exception):
    """Raised when cma_research refuses to go on; the base of every package error."""


class InstrumentError(CMAError):
    """Raised when an instrument definition file is missing, unreadable or malformed."""


class ParameterError(CMAError, ValueError):
    """Raised when a function or command gets an argument it cannot use."""


class ReportBuildError(CMAError):
    """Raised when a report or notebook build fails."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located as a spreadsheet user would find it.

    ``row`` is the spreadsheet row number (the header is row 1 unless a title row sits
    above it); ``None`` when the problem concerns the whole file or a whole column.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {shorten(self.column)!r}")
        text = ", ".join(where) + ": " + self.message
        if self.value is not None:
            text += f" (value {shorten(self.value)!r})"
        if self.expected is not None:
            text += f"; expected {self.expected}"
        return text


class DataValidationError(CMAError, ValueError):
    """Raised when an input data file does not meet the instrument's rules.

    ``problems`` holds every problem found (up to the loader's limit), each naming the
    file, spreadsheet row, column, value and what was expected; ``str(error)`` lists
    them one per line.
    """

    def __init__(self, problems: Sequence[Problem], *, truncated: bool = False) -> None:
        if not problems:
            raise ValueError("DataValidationError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.truncated = truncated
        lines = [str(p) for p in self.problems]
        if truncated:
            lines.append(
                f"{self.problems[0].file}: stopped after {len(self.problems)} problems; "
                "fix these and run again to see the rest"
            )
        super().__init__("\n".join(lines))

    @property
    def lines(self) -> list[str]:
        """The message as a list of one-line problem descriptions."""
        return str(self).splitlines()


@dataclass
class ProblemCollector:
    """Collects the problems of one input file, up to ``limit``, then raises them at once."""

    file: str
    limit: int
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        expected: str | None = None,
    ) -> None:
        if len(self.problems) >= self.limit:
            self.truncated = True
            return
        self.problems.append(Problem(self.file, message, row, column, value, expected))

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataValidationError(self.problems, truncated=self.truncated)
