"""The study's notebooks, shipped inside the package as ``cma_research.notebooks``.

This folder is their one source: the wheel packs it as ``cma_research/notebooks``
(``package-dir`` in pyproject.toml) and ``cma-research build`` runs them when a study
folder has no ``notebooks/`` of its own. Only ``NN_name.ipynb`` files are notebooks.
"""
