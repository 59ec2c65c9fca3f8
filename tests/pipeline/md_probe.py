"""An IPython startup file that records every ``md(...)`` call of a notebook kernel.

``tests/pipeline/conftest.py`` installs it (``IPYTHONDIR``) for the session's fresh-kernel
build of the bundled study; ``test_notebook_markdown.py`` reads what it recorded. The probe
calls the real ``md`` unchanged, so the build's outputs are the same with or without it
(``test_build.py`` compares that build with the warm one byte for byte).
"""

from __future__ import annotations

from pathlib import Path

#: Folder beside the build's ``reports`` where the probe writes one JSON-lines file a kernel.
MD_PROBE_FOLDER = "md_probe"

PROBE = '''
def _install_md_probe():
    """Record every md() call of this kernel, then call the real md() unchanged."""
    import json
    import linecache
    import os
    import sys

    import numpy as np

    import cma_research.reporting.notebook as notebook
    from cma_research.reporting.text import escape_markdown

    real = notebook.md

    def shown(value):
        plain = isinstance(value, bool) or not isinstance(value, int | float | np.number)
        return escape_markdown(str(value)) if plain else value

    def md(template, **values):
        frame = sys._getframe(1)
        study = frame.f_globals.get("study")
        record = {
            "prefix": getattr(getattr(study, "out", None), "prefix", None),
            "cell": "".join(linecache.getlines(frame.f_code.co_filename)),
            "line": frame.f_lineno,
            "template": template,
            "markdown": template.format(**{k: shown(v) for k, v in values.items()}),
        }
        path = os.path.join(os.environ["CMA_MD_PROBE"], f"{os.getpid()}.jsonl")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\\n")
        return real(template, **values)

    notebook.md = md


_install_md_probe()
del _install_md_probe
'''


def install(ipython_dir: Path) -> None:
    """Write the probe as a startup file of ``ipython_dir``'s default profile."""
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-md-probe.py").write_text(PROBE, encoding="utf-8")
