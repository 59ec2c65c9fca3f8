"""A study on the command line: ``init`` writes one, ``--study FILE`` reads one.

``cma-research init FILE`` inspects a returns file as a person would
(:func:`cma_research.io.inspection.inspect_returns`), prints what it found and what
it assumed, writes a study file commented line by line, checks it by loading the
returns with it, and, in an empty folder, sets up a study folder: the study file, a
short README and (``--with-notebooks``) copies of the notebooks to edit in JupyterLab.
``init --example`` sets up the bundled 2007 study instead.

The other commands take the returns from a study (``--study FILE``) or from a file and
loader options (:func:`study_cohort`); one source, never both.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cma_research.cli.parser import EXIT_OK, LOADER_FLAGS, alias_options, load_options
from cma_research.core.errors import ParameterError
from cma_research.io.study import STUDY_FILE, Study, load_study, study_yaml

if TYPE_CHECKING:  # pandas loads where returns are read: `cma-research build` needs none
    from cma_research.core.cohort import Cohort

__all__ = ["StudyInput", "init_command", "study_cohort", "study_folder_readme"]


@dataclass(frozen=True)
class StudyInput:
    """The returns a command reads: the cohort, the study it came from (if any), a name."""

    cohort: Cohort
    study: Study | None
    name: str


def study_cohort(args: argparse.Namespace) -> StudyInput:
    """The cohort of ``--study FILE``, else of the returns FILE and its loader options.

    With neither, the ``study.yaml`` of the current folder is used when there is one.

    Raises
    ------
    ParameterError
        Both a FILE and ``--study``; a loader option together with ``--study`` (the
        study file holds them); or neither a FILE nor a study.
    """
    study_path = getattr(args, "study", None)
    if study_path is not None and args.file is not None:
        raise ParameterError(
            f"give the returns file ({args.file}) or --study {study_path}, not both"
        )
    if study_path is None and args.file is None:
        if not Path(STUDY_FILE).is_file():
            raise ParameterError(
                "give a returns FILE or --study FILE (there is no study.yaml here; "
                "`cma-research init FILE` writes one)"
            )
        study_path = STUDY_FILE
    if study_path is None:
        inst = args.instrument or "customer_wise_2007"
        from cma_research.io.returns import load_returns

        return StudyInput(load_returns(args.file, inst, **load_options(args)), None, args.file)
    given = [
        flag
        for name, flag in LOADER_FLAGS.items()
        if getattr(args, name, None) not in (None, [], ())
    ]
    if given:
        raise ParameterError(
            f"{', '.join(given)}: with --study the study file says how to read the returns "
            "(edit its returns: and waves: entries instead)"
        )
    study = load_study(study_path)
    return StudyInput(study.load_cohort(), study, str(study_path))


# -- init --------------------------------------------------------------------------------


def study_folder_readme(study: Study, *, notebooks: bool) -> str:
    """The short README of a study folder that ``init`` sets up."""
    title = study.title or study.path.stem
    lines = [
        f"# {title}",
        "",
        "A study folder for `cma_research` (set up by `cma-research init`).",
        "",
        f"- `{study.path.name}`: the study file: the returns "
        f"(`{study.returns.name}`) and how to read them, the waves, covariates, output "
        "folder, disclosure k and pseudonymisation key, each line commented. Edit it; "
        f"`cma-research validate --study {study.path.name}` checks it.",
        "- `cma-research build` (run in this folder) writes every report into "
        f"`{_relative(study.output, study.folder)}/`; start at its `index.html`.",
    ]
    if notebooks:
        lines.append(
            "- `notebooks/`: your copies of the notebooks. The build runs these instead of "
            "the packaged ones (the manifest says which). Opened in JupyterLab, *Run All* "
            "reads this study and writes into its output folder."
        )
    else:
        lines.append(
            "- The build runs the notebooks shipped with the package; "
            "`cma-research init --with-notebooks` copies them here to edit."
        )
    lines.append(
        "- `manuscript/paper.md`: the paper, citing the build's values, figures and tables "
        "by name; each build renders it to PDF, Word and LaTeX in "
        f"`{_relative(study.output, study.folder)}/manuscript/` and lists what changed in "
        "`changes.html`."
    )
    lines += [
        "- Keep a pseudonymisation key (`cma-research key new FILE`) outside this folder "
        "and the reports: whoever holds it can map pseudonyms back to businesses.",
        "",
    ]
    return "\n".join(lines)


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def _copy_notebooks(folder: Path) -> list[Path]:
    """Copy the packaged notebooks into ``folder/notebooks`` (existing ones are kept).

    Their typical seconds (``durations.json``, the order of a first build) come along;
    the notebooks copied are returned.
    """
    from cma_research.pipeline.build.parameters import packaged_notebooks
    from cma_research.pipeline.build.plan import DURATIONS_FILE

    target = folder / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for nb in sorted(packaged_notebooks().glob("[0-9][0-9]_*.ipynb")):
        dest = target / nb.name
        if not dest.exists():
            shutil.copyfile(nb, dest)
            copied.append(dest)
    durations = packaged_notebooks() / DURATIONS_FILE
    if durations.is_file() and not (target / DURATIONS_FILE).exists():
        shutil.copyfile(durations, target / DURATIONS_FILE)
    return copied


def init_command(args: argparse.Namespace) -> int:
    """``cma-research init FILE``: inspect a returns file, write a study file, set up a folder."""
    from cma_research.io.inspection import inspect_returns

    output = Path(args.output)
    folder = output.parent if str(output.parent) else Path(".")
    if output.exists():
        raise ParameterError(
            f"{output} exists; choose another --output, or delete it to start again"
        )
    if output.suffix not in (".yaml", ".yml"):
        raise ParameterError(f"--output {output}: a study file ends in .yaml")
    # a new study folder: empty, or holding only the returns file (or its folder)
    given = Path(args.file).resolve() if args.file else None
    empty = not folder.exists() or not any(
        given is None or (p.resolve() != given and p.resolve() not in given.parents)
        for p in folder.iterdir()
    )
    if args.example:
        if args.file is not None:
            raise ParameterError("give a returns FILE or --example, not both")
        _example(folder, output)
    else:
        if args.file is None:
            raise ParameterError("give the returns FILE to inspect (or --example)")
        proposal = inspect_returns(
            args.file,
            args.instrument,
            sheet=args.sheet,
            header_row=args.header_row,
            na_values=args.na_value,
            aliases=alias_options(args.alias),
            wave_column=args.wave_column,
            wave_rounds=args.rounds,
            date_format=args.dates,
            encoding=args.encoding,
        )
        for line in proposal.found:
            print(f"found:   {line}")
        for line in proposal.assumed:
            print(f"assumed: {line}")
        folder.mkdir(parents=True, exist_ok=True)
        entries = proposal.study_entries(folder.resolve(), title=args.title)
        header = (
            "# Study file written by `cma-research init` from "
            f"{proposal.path.name}: every line says what it means; edit freely,\n"
            "# then check it with `cma-research validate --study "
            f"{output.name}` and build with `cma-research build`.\n"
        )
        _write_new(output, header + study_yaml(entries))
    try:  # the study file is checked by loading the returns (and covariates) with it
        study = load_study(output)
        cohort = study.load_cohort()
    except BaseException:
        if not args.example:
            output.unlink()  # never leave a study file that does not load
        raise
    print(
        f"study file: {output} ({cohort.n_businesses} business"
        f"{'' if cohort.n_businesses == 1 else 'es'}, {len(cohort)} return"
        f"{'' if len(cohort) == 1 else 's'}, "
        f"{len(cohort.waves)} wave(s): {', '.join(cohort.waves[:6])})"
    )
    for note in cohort.source.notes:
        print(f"note:    {note}")
    if args.with_notebooks:
        copied = _copy_notebooks(folder)
        print(f"notebooks: {len(copied)} copied into {folder / 'notebooks'}")
    paper = folder / "manuscript" / "paper.md"
    if not paper.exists():  # the example study brings its own
        from cma_research.reporting.manuscript import write_starter_manuscript

        data = study.returns.resolve()
        base = folder.resolve()
        write_starter_manuscript(
            folder,
            study.title or f"Customer management audit: {study.returns.stem}",
            data=data.relative_to(base).as_posix() if data.is_relative_to(base) else None,
            claims=study.claims is not None,
        )
        print(f"manuscript: {paper} (a first draft citing this study's values; edit freely)")
    if empty and not (folder / "README.md").exists():
        _write_new(folder / "README.md", study_folder_readme(study, notebooks=args.with_notebooks))
        print(f"readme: {folder / 'README.md'}")
    return EXIT_OK


def _write_new(path: Path, text: str) -> None:
    """Write a new file (never over an existing one)."""
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(text)


def _example(folder: Path, output: Path) -> Path:
    from cma_research.datasets import example_study

    if output.name != STUDY_FILE:
        raise ParameterError(f"--example writes {STUDY_FILE}; leave --output out")
    folder.mkdir(parents=True, exist_ok=True)
    path = example_study(folder)
    print(f"set up the bundled 2007 study in {folder}: {STUDY_FILE}, data/raw/, manuscript/")
    return path
