"""Audit instruments as data: stages, levels and criteria read from a YAML or JSON file.

An instrument says what a return must contain: its stages (in journey order), the
levels a stage can score, and the criterion for each stage and level. Two instruments
ship with the package (see :func:`list_instruments`); a user adds one by writing a file
in the same format and passing its path wherever an instrument name is accepted.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cma_research.core.errors import InstrumentError
from cma_research.core.instrument_file import _load_file
from cma_research.core.instrument_model import Instrument, Level, Stage, normalise_label

__all__ = ["Instrument", "Level", "Stage", "get_instrument", "list_instruments", "normalise_label"]

_INSTRUMENT_SUFFIXES = (".yaml", ".yml", ".json")


def list_instruments() -> list[str]:
    """Names of the instruments that ship with the package.

    >>> list_instruments()
    ['customer_wise_2007', 'managing_customers_framework']
    """
    folder = resources.files("cma_research") / "instruments"
    return sorted(
        Path(p.name).stem for p in folder.iterdir() if p.name.endswith(_INSTRUMENT_SUFFIXES)
    )


def get_instrument(name: str | Path | Instrument) -> Instrument:
    """Load a bundled instrument by name, or any instrument file by path.

    Parameters
    ----------
    name : str, path or Instrument
        A bundled name (see :func:`list_instruments`) or the path of a ``.yaml``,
        ``.yml`` or ``.json`` file in the same format. An :class:`Instrument` is
        returned unchanged.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        When the name is unknown or the file is missing or malformed; the message names
        the file and the problem.

    Examples
    --------
    >>> cw = get_instrument("customer_wise_2007")
    >>> len(cw.stages), cw.level_values
    (10, [0, 1, 2, 3, 4, 5])
    >>> cw.stages[0].criteria[1]
    'Little or no information complied about customer contacts'
    """
    if isinstance(name, Instrument):
        return name
    text = str(name)
    if text.endswith(_INSTRUMENT_SUFFIXES) or Path(text).parent != Path("."):
        return _load_file(Path(text))
    folder = resources.files("cma_research") / "instruments"
    for suffix in _INSTRUMENT_SUFFIXES:
        candidate = folder / f"{text}{suffix}"
        if candidate.is_file():
            with resources.as_file(candidate) as path:
                return _load_file(Path(path))
    raise InstrumentError(
        f"unknown instrument {text!r}; expected one of {', '.join(list_instruments())} "
        "or the path of a .yaml/.json instrument file"
    )
