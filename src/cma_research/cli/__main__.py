"""``python -m cma_research.cli`` runs the command line."""

import sys

from cma_research.cli import main

sys.exit(main())
