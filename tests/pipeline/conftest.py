"""Shared fixtures of the build tests: the bundled study built once, and fresh kernels.

The bundled study is built **once per test session** with small ``n_boot``/``n_perm``
(:data:`tests.fast.FAST`): the tests that only read its outputs share
:func:`bundled_build`, and the tests that compare two independent builds share
:func:`bundled_rebuild` (fresh kernels, an empty cache, another folder). Every test that
uses either fixture is put in one xdist group, so with ``pytest -n`` the two builds
happen once, on one worker, while the other workers run everything else. The browser
tests read one load of each of its pages in headless Chromium (:func:`bundled_pages`).

Every other build runs warm kernels, as users' builds do: the preload process (about 4
CPU-seconds of imports) is started by a pytest process's first build and serves its
later builds (:func:`cma_research.pipeline.build.warm.preloader`), so a build of tiny
notebooks costs a fork per kernel. Builds on Dask workers use fresh kernels
(:func:`fresh_kernels`): each worker process would start a preload process of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cma_research.pipeline.build import BuildResult, build, warm
from tests.fast import FAST
from tests.paths import ROOT
from tests.pipeline import md_probe
from tests.pipeline.clients import LAYOUT_PROBE, Chromium, PageReport

NOTEBOOKS = ROOT / "notebooks"

#: The xdist group of every test that uses the session's builds of the bundled study.
BUILD_GROUP = "bundled_build"


def _build_bundled(folder: Path) -> BuildResult:
    """Build into ``folder/reports`` with the cache in ``folder/cache``."""
    params = folder / "fast.yaml"
    # a latent effect other than 07's default, so the planning test sees 07 take it
    params.write_text(yaml.safe_dump({**FAST, "effect_rho": 0.6}))
    return build(
        params_file=params,
        output_dir=folder / "reports",
        notebooks_dir=NOTEBOOKS,
        progress=lambda line: None,
        cache_dir=folder / "cache",
    )


@pytest.fixture(scope="session")
def bundled_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The bundled study built once (warm kernels, :data:`FAST`); tests only read it."""
    return _build_bundled(tmp_path_factory.mktemp("bundled_build"))


@pytest.fixture(scope="session")
def bundled_rebuild(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The same study built again: fresh kernels, an empty cache, another folder.

    Its kernels run the ``md()`` probe (:mod:`tests.pipeline.md_probe`), which records each
    call and passes it on unchanged.
    """
    folder = tmp_path_factory.mktemp("bundled_rebuild")
    md_probe.install(folder / "ipython")
    (folder / md_probe.MD_PROBE_FOLDER).mkdir()
    with pytest.MonkeyPatch.context() as mp:  # only while it builds: later tests run warm
        mp.setenv(warm.WARM_ENV, "0")
        # every md() call is recorded (test_notebook_markdown.py); md() itself is unchanged
        mp.setenv("IPYTHONDIR", str(folder / "ipython"))
        mp.setenv("CMA_MD_PROBE", str(folder / md_probe.MD_PROBE_FOLDER))
        return _build_bundled(folder)


@pytest.fixture(scope="session")
def bundled_pages(bundled_build: BuildResult, chromium: str) -> dict[str, PageReport]:
    """Every page of :func:`bundled_build` loaded once in headless Chromium (1280 px).

    The landing page and each notebook's two HTML variants, keyed by their path in the
    output folder: console errors, images, a screenshot, and what
    :data:`~tests.pipeline.clients.LAYOUT_PROBE` measured. The browser tests of
    ``test_build.py`` and ``test_report_layout.py`` read the same loads.
    """
    out = bundled_build.output_dir
    pages = [out / "index.html", *sorted((out / "html").glob("*.html"))]
    with Chromium(chromium) as browser:  # four tabs at a time, each waiting as one alone
        loads = browser.load_many([page.as_uri() for page in pages], probe=LAYOUT_PROBE)
    return {page.relative_to(out).as_posix(): load for page, load in zip(pages, loads, strict=True)}


@pytest.fixture
def fresh_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start this test's notebook kernels fresh (``CMA_BUILD_WARM_KERNELS=0``)."""
    monkeypatch.setenv(warm.WARM_ENV, "0")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"bundled_build", "bundled_rebuild"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group(BUILD_GROUP))
