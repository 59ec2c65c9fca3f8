"""The small parameters every build in the tests uses (:data:`FAST`).

A plain module, so that tests anywhere import it (a ``conftest.py`` is pytest's to load).
"""

from __future__ import annotations

from cma_research.pipeline.build import notebook_parameters
from tests.paths import ROOT

#: Small values of the notebooks' resampling parameters (their defaults resample up to
#: 100,000 times; 07 recalibrates its simulation model on 20 resamples, about 3 s).
SMALL = {
    "n_boot": 200,
    "n_perm": 2000,
    "m_imputations": 5,
    "omega_boot": 100,
    "n_sims": 200,
    "calibration_resamples": 2,
}

_DECLARED = set().union(*map(notebook_parameters, (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))

#: The parameters that keep a build quick: :data:`SMALL`, each one some notebook declares
#: (a build refuses a parameter no notebook has). Every full build in the tests uses them.
FAST = {name: value for name, value in SMALL.items() if name in _DECLARED}
