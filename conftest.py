"""Repository-wide pytest setup.

Doctests run in an empty temporary folder: the examples use the bundled data
(``cma_research.datasets``), so they work from any directory. Other tests run from the
repository root.

While a pytest process starts and collects, the cyclic garbage collector is paused:
collection (pytest rewriting each test module's asserts, the imports) makes hundreds of
thousands of long-lived objects, and the collector's full passes over them (about 25, at
0.1-0.2 s each) were a third of its CPU time, for almost no garbage. It runs once when
collection ends, and is switched back on.

Once the tests are collected, the objects collection made (every test module and the
stack they import, about 440,000) are frozen out of the garbage collector's sight
(:func:`gc.freeze`): every full collection afterwards, automatic or a library's own
``gc.collect()`` (statsmodels' Holm adjustment makes one per call), then looks at what
the tests made only, instead of taking about 0.2 s each.

The test modules import nbformat (and with it jsonschema) while they are collected; they
import it as the build does (``import_notebook_stack``), without compiling jsonschema's
IRI grammars, which nbformat never uses (about 1 s in each pytest process).
"""

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _working_directory(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if isinstance(request.node, DoctestItem):
        monkeypatch.chdir(tmp_path_factory.mktemp("doctest"))
    else:
        monkeypatch.chdir(ROOT)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ:
        return  # pytest-xdist's controller: its workers collect
    gc.disable()  # until collection ends (pytest_collection below)
    from cma_research.pipeline.build.convert import import_notebook_stack

    import_notebook_stack()


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    gc.disable()
    try:
        return (yield)
    finally:
        gc.enable()


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
