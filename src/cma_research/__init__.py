"""cma_research: analyse Customer Management Audit (CMA) cohort studies.

Load audit returns against an instrument, report and handle not-assessed stages with
explicit strategies, and write reproducible outputs.

>>> import cma_research as cma
>>> cohort = cma.load_returns(cma.datasets.bundled_path("customer_wise_2007.csv"))
>>> cma.clean(cohort, "complete_case").cohort.n_businesses
12

The public names are declared once, in ``__init__.pyi`` beside this file: type checkers
and IDEs read it, and :func:`lazy_loader.attach_stub` loads each name from its module on
first use, so ``import cma_research`` imports neither pandas nor matplotlib.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
