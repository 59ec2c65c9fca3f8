"""The bundled study's manuscript, shipped inside the package as ``cma_research.manuscript``.

This folder is its one source: the wheel packs ``paper.md`` as
``cma_research/manuscript/paper.md`` (``package-dir`` in pyproject.toml), and
``cma-research init --example`` copies it beside the example study, so an installed
package renders the same paper as a clone.
"""
