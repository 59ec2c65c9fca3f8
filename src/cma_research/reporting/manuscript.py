"""The manuscript: a paper's text in MyST-flavoured Markdown, every number by name.

A manuscript is one Markdown file (``manuscript/paper.md`` of a study) that reads as
the paper reads and opens in JupyterLab (and in any MyST tool) as it is. Everything
that comes from the data is cited, never typed:

- ``{alpha}``: a named value the notebooks recorded (:mod:`~.values`), printed as
  the findings print it; ``{value}`alpha``` is the same in MyST's role syntax;
- ``{figure}`02_level_distribution``` and ``{table}`02_share_below_level_1```: "Figure
  2", "Table 1", the number of a figure or table placed with a directive::

      ```{figure} 02_level_distribution
      :width: 80%
      Levels per stage (the caption; default: the notebook's caption).
      ```

      ```{table} 02_share_below_level_1
      :columns: name, n_assessed, share_below_1, ci95_low, ci95_high
      :format: share_below_1=percent, ci95_low=percent, ci95_high=percent
      :labels: name=Stage, n_assessed=n
      Share of businesses below level 1 per stage.
      ```

- ``{claim}`findings_16_radar_charts```: the sentence carries the claim; the paper
  shows the claim's verdict from the build's claims audit (a footnote in the PDF and
  LaTeX, a comment in the margin in Word); ``{quote}`id``` quotes the claim verbatim
  from the claims file, with its verdict. The paper is quoted only through claims.
- ````` ```{claims} ``` `````: the claims audit as a table (one row per claim);
  ````` ```{appendix} ``` `````: the sections after it are the appendix (A, B, ...).

The front matter (YAML between ``---`` lines) holds ``title`` and optionally
``subtitle``, ``authors`` (a list) and ``abstract`` (Markdown, with citations too).
Headings (``#``, ``##``, ``###``) are numbered sections. Literal braces are escaped:
``\\{``. ``%`` starts a comment line (MyST).

:func:`parse_manuscript` reads the source into blocks with line numbers;
:func:`resolve` checks every citation against a build (an unknown value name is an
error naming the closest recorded names) and returns a :class:`Paper`, which the
renderers (:mod:`~.typeset`, :mod:`~.word`, :mod:`~.latex`) print.
:func:`write_starter_manuscript` writes a first manuscript for a new study.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from cma_research.core.errors import ReportBuildError
from cma_research.core.files import write_atomic
from cma_research.reporting.paper_tables import PaperTable, paper_table, read_tidy_csv
from cma_research.reporting.values import NamedValue, unknown_value_error

__all__ = [
    "Block",
    "ClaimInfo",
    "FigureBlock",
    "Heading",
    "Inline",
    "ListBlock",
    "Paper",
    "Paragraph",
    "QuoteBlock",
    "TableBlock",
    "claims_from_tables",
    "parse_manuscript",
    "plain_text",
    "resolve",
    "write_starter_manuscript",
]

InlineKind = Literal[
    "text", "strong", "emph", "code", "link", "value", "ref", "claim", "quote", "break"
]

_VALUE_REF = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_ROLES = ("value", "figure", "table", "claim", "quote")
_DIRECTIVES = ("figure", "table", "claims", "appendix")
_FRONT_MATTER_KEYS = ("title", "subtitle", "authors", "abstract")


@dataclass(frozen=True)
class Inline:
    """A piece of running text.

    ``kind`` is ``text`` (``text``), ``strong``/``emph``/``link`` (``children``;
    ``target`` is a link's URL), ``code`` (``text``), ``value`` (``name``; ``text``
    once resolved), ``ref`` (``target`` is ``figure`` or ``table``, ``name`` its id,
    ``text`` "Figure 2" once resolved), ``claim``/``quote`` (``name`` the claim id;
    ``text`` the quote once resolved), ``break`` (a line break).
    """

    kind: InlineKind
    text: str = ""
    name: str = ""
    target: str = ""
    children: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class Heading:
    """A numbered section heading (``number`` "2.1" or "A"; set when resolved)."""

    level: int
    inlines: tuple[Inline, ...]
    line: int
    number: str = ""
    appendix: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of running text."""

    inlines: tuple[Inline, ...]
    line: int


@dataclass(frozen=True)
class QuoteBlock:
    """A block quotation (``>``)."""

    inlines: tuple[Inline, ...]
    line: int


@dataclass(frozen=True)
class ListBlock:
    """A bulleted or numbered list; each item is running text."""

    items: tuple[tuple[Inline, ...], ...]
    ordered: bool
    line: int


@dataclass(frozen=True)
class FigureBlock:
    """A figure placed by the ``{figure}`` directive (files set when resolved)."""

    id: str
    caption: tuple[Inline, ...]
    line: int
    width: str = "100%"
    number: int = 0
    pdf: Path | None = None
    png: Path | None = None


@dataclass(frozen=True)
class TableBlock:
    """A table placed by the ``{table}`` or ``{claims}`` directive."""

    id: str
    caption: tuple[Inline, ...]
    line: int
    options: tuple[tuple[str, str], ...] = ()
    number: int = 0
    table: PaperTable | None = None


@dataclass(frozen=True)
class AppendixMark:
    """Where the appendix starts (``{appendix}``)."""

    line: int


Block = Heading | Paragraph | QuoteBlock | ListBlock | FigureBlock | TableBlock | AppendixMark


@dataclass(frozen=True)
class ClaimInfo:
    """A claim as the build's audit judged it (one row of ``NN_claims_verdicts.csv``)."""

    id: str
    quote: str
    source: str
    verdict: str
    n_readings: int
    n_supported: int
    must_hold: bool

    @property
    def note(self) -> str:
        """The verdict as the paper's footnote or margin note says it."""
        if self.n_readings == 0:
            detail = "no reading can be computed from these data"
        else:
            detail = f"{self.n_supported} of {self.n_readings} readings supported"
        hold = "; marked must hold" if self.must_hold else ""
        return (
            f"Claim {self.id} ({self.source}): {self.verdict} by the study's data "
            f"({detail}{hold}); see the claims audit."
        )

    @property
    def failing(self) -> bool:
        """A must-hold claim that is not supported."""
        return self.must_hold and self.verdict != "supported"


@dataclass
class Paper:
    """A manuscript resolved against one build: what the renderers print."""

    source: Path
    title: str
    subtitle: str
    authors: list[str]
    abstract: tuple[Inline, ...]
    blocks: list[Block]
    claims: dict[str, ClaimInfo]
    values: dict[str, NamedValue]
    used_values: list[str] = field(default_factory=list)
    sentences: dict[str, list[str]] = field(default_factory=dict)

    @property
    def failing_claims(self) -> list[ClaimInfo]:
        """The must-hold claims of the audit that are not supported (all, cited or not)."""
        return [c for c in self.claims.values() if c.failing]

    @property
    def figures(self) -> list[FigureBlock]:
        return [b for b in self.blocks if isinstance(b, FigureBlock)]

    @property
    def tables(self) -> list[TableBlock]:
        return [b for b in self.blocks if isinstance(b, TableBlock)]


# -- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A parsed, unresolved manuscript."""

    path: Path
    front: dict[str, Any]
    abstract: tuple[Inline, ...]
    blocks: list[Block]


def _markdown() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin
    from mdit_py_plugins.myst_blocks import myst_block_plugin
    from mdit_py_plugins.myst_role import myst_role_plugin

    md = MarkdownIt("commonmark", {"html": False})
    md.use(front_matter_plugin).use(myst_role_plugin).use(myst_block_plugin)
    md.disable("text_join")  # keep escaped characters (\{) apart from text
    return md


def _where(path: Path, line: int) -> str:
    return f"{path.name}, line {line}"


def _inlines(children: Sequence[Any], path: Path, line: int) -> tuple[Inline, ...]:
    """markdown-it inline tokens -> :class:`Inline` tuple."""
    stack: list[list[Inline]] = [[]]
    opened: list[tuple[str, str]] = []
    for tok in children:
        t = tok.type
        if t == "text":
            stack[-1].extend(_split_values(tok.content))
        elif t == "text_special":
            stack[-1].append(Inline("text", tok.content))
        elif t == "softbreak":
            stack[-1].append(Inline("text", " "))
        elif t == "hardbreak":
            stack[-1].append(Inline("break"))
        elif t == "code_inline":
            stack[-1].append(Inline("code", tok.content))
        elif t in ("strong_open", "em_open", "link_open"):
            opened.append((t, str(tok.attrs.get("href", "")) if t == "link_open" else ""))
            stack.append([])
        elif t in ("strong_close", "em_close", "link_close"):
            kind, href = opened.pop()
            kids = tuple(stack.pop())
            name = {"strong_open": "strong", "em_open": "emph", "link_open": "link"}[kind]
            stack[-1].append(Inline(name, children=kids, target=href))  # type: ignore[arg-type]
        elif t == "myst_role":
            role = str(tok.meta.get("name", ""))
            if role not in _ROLES:
                raise ReportBuildError(
                    f"{_where(path, line)}: unknown role {{{role}}}; use one of "
                    + ", ".join(f"{{{r}}}" for r in _ROLES)
                )
            target = tok.content.strip()
            if role == "value":
                stack[-1].append(Inline("value", name=target))
            elif role in ("figure", "table"):
                stack[-1].append(Inline("ref", name=target, target=role))
            else:
                stack[-1].append(Inline(role, name=target))  # type: ignore[arg-type]
        elif t in ("image", "html_inline"):
            raise ReportBuildError(
                f"{_where(path, line)}: images are placed with the {{figure}} directive"
            )
        else:
            stack[-1].append(Inline("text", tok.content))
    return tuple(stack[0])


def _split_values(text: str) -> list[Inline]:
    out: list[Inline] = []
    pos = 0
    for m in _VALUE_REF.finditer(text):
        if m.start() > pos:
            out.append(Inline("text", text[pos : m.start()]))
        out.append(Inline("value", name=m.group(1)))
        pos = m.end()
    if pos < len(text):
        out.append(Inline("text", text[pos:]))
    return out


def _parse_inline_text(text: str, path: Path, line: int) -> tuple[Inline, ...]:
    md = _markdown()
    tokens = md.parseInline(text.strip())
    return _inlines(tokens[0].children or [], path, line) if tokens else ()


def _directive(tok: Any, path: Path) -> Block:
    line = tok.map[0] + 1 if tok.map else 0
    info = tok.info.strip()
    m = re.fullmatch(r"\{([a-z]+)\}\s*(.*)", info)
    if not m:
        raise ReportBuildError(f"{_where(path, line)}: code blocks are not part of a paper")
    kind, arg = m.group(1), m.group(2).strip()
    if kind not in _DIRECTIVES:
        raise ReportBuildError(
            f"{_where(path, line)}: unknown directive {{{kind}}}; use one of "
            + ", ".join(f"{{{d}}}" for d in _DIRECTIVES)
        )
    options: dict[str, str] = {}
    body: list[str] = []
    for raw in tok.content.splitlines():
        opt = re.fullmatch(r":([a-z_-]+):\s*(.*)", raw.strip())
        if opt and not body:
            options[opt.group(1)] = opt.group(2).strip()
        else:
            body.append(raw)
    caption = _parse_inline_text(" ".join(b.strip() for b in body), path, line)
    allowed = {
        "figure": {"width"},
        "table": {"columns", "format", "labels"},
        "claims": {"columns"},
        "appendix": set(),
    }[kind]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ReportBuildError(
            f"{_where(path, line)}: {{{kind}}} has no option {', '.join(unknown)}"
            + (f"; it takes {', '.join(sorted(allowed))}" if allowed else "")
        )
    if kind == "appendix":
        return AppendixMark(line)
    if kind in ("figure", "table") and not arg:
        raise ReportBuildError(f"{_where(path, line)}: {{{kind}}} needs an id (e.g. 02_...)")
    if kind == "figure":
        return FigureBlock(arg, caption, line, width=options.get("width", "100%"))
    if kind == "claims":
        return TableBlock("claims", caption, line, tuple(sorted(options.items())))
    return TableBlock(arg, caption, line, tuple(sorted(options.items())))


def parse_manuscript(path: str | Path) -> Source:
    """Read a manuscript into front matter and blocks, each with its line number.

    Raises :class:`~cma_research.ReportBuildError` naming the file and line of a
    construct a paper cannot hold (an unknown role or directive, an image, raw HTML,
    front matter without a title).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportBuildError(f"{p.name}: cannot read the manuscript ({exc})") from exc
    tokens = _markdown().parse(text)
    front: dict[str, Any] = {}
    blocks: list[Block] = []
    i = 0
    items: list[tuple[Inline, ...]] = []
    while i < len(tokens):
        tok = tokens[i]
        line = tok.map[0] + 1 if tok.map else 0
        t = tok.type
        if t == "front_matter":
            front = _front_matter(tok.content, p)
        elif t == "heading_open":
            level = int(tok.tag[1])
            if level > 3:
                raise ReportBuildError(f"{_where(p, line)}: headings go three levels deep")
            blocks.append(Heading(level, _inlines(tokens[i + 1].children or [], p, line), line))
            i += 2
        elif t == "paragraph_open":
            inl = _inlines(tokens[i + 1].children or [], p, line)
            if tokens[i - 1].type == "list_item_open" if i else False:
                items.append(inl)
            elif _in_blockquote(tokens, i):
                blocks.append(QuoteBlock(inl, line))
            else:
                blocks.append(Paragraph(inl, line))
            i += 2
        elif t in ("bullet_list_open", "ordered_list_open"):
            items = []
        elif t in ("bullet_list_close", "ordered_list_close"):
            start = tok.map[0] + 1 if tok.map else line
            blocks.append(ListBlock(tuple(items), t.startswith("ordered"), start))
            items = []
        elif t == "fence":
            blocks.append(_directive(tok, p))
        elif t == "code_block":
            raise ReportBuildError(f"{_where(p, line)}: code blocks are not part of a paper")
        elif t == "html_block":
            raise ReportBuildError(f"{_where(p, line)}: raw HTML is not part of a paper")
        i += 1
    if not front.get("title"):
        raise ReportBuildError(f"{p.name}: the front matter needs a title (---\\ntitle: ...\\n---)")
    abstract = _parse_inline_text(str(front.get("abstract") or ""), p, 1)
    return Source(p, front, abstract, blocks)


def _in_blockquote(tokens: Sequence[Any], i: int) -> bool:
    depth = 0
    for tok in tokens[:i]:
        if tok.type == "blockquote_open":
            depth += 1
        elif tok.type == "blockquote_close":
            depth -= 1
    return depth > 0


def _front_matter(text: str, path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ReportBuildError(f"{path.name}: front matter is not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ReportBuildError(f"{path.name}: front matter must be a mapping (title: ...)")
    unknown = sorted(set(map(str, data)) - set(_FRONT_MATTER_KEYS))
    if unknown:
        raise ReportBuildError(
            f"{path.name}: unknown front matter key(s) {', '.join(unknown)}; "
            f"expected {', '.join(_FRONT_MATTER_KEYS)}"
        )
    authors = data.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    data["authors"] = [str(a) for a in authors]
    return data


# -- resolving against a build ----------------------------------------------------------------


def claims_from_tables(tables_dir: str | Path) -> dict[str, ClaimInfo]:
    """The claims audit of a build: every ``*_claims_verdicts.csv`` in ``tables_dir``."""
    claims: dict[str, ClaimInfo] = {}
    for path in sorted(Path(tables_dir).glob("*_claims_verdicts.csv")):
        frame = read_tidy_csv(path)
        for row in frame.to_dict("records"):
            cid = str(row["claim_id"])
            claims[cid] = ClaimInfo(
                cid,
                str(row.get("quote", "")),
                str(row.get("source", "")),
                str(row.get("verdict", "")),
                int(row.get("n_readings", 0) or 0),
                int(row.get("n_supported", 0) or 0),
                str(row.get("must_hold", "")).strip().lower() in ("true", "1", "yes"),
            )
    return claims


def _captions(figures_dir: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(figures_dir.glob("*captions.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found.update({str(k): str(v) for k, v in data.items()})
    return found


def _table_caption(md_path: Path) -> str:
    """The caption a notebook gave a table (the ``Table:`` line of its Markdown file)."""
    try:
        first = md_path.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return ""
    if not first.startswith("Table: "):
        return ""
    return re.sub(r"\\(.)", r"\1", first.removeprefix("Table: "))


def _options(block: TableBlock) -> dict[str, str]:
    return dict(block.options)


def _mapping_option(text: str, where: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r"[;,]\s*(?=[A-Za-z_][A-Za-z0-9_]*\s*=)", text):
        if not part.strip():
            continue
        if "=" not in part:
            raise ReportBuildError(f"{where}: :{what}: expects column=..., got {part.strip()!r}")
        key, val = part.split("=", 1)
        out[key.strip()] = val.strip()
    return out


class _Resolver:
    def __init__(
        self,
        source: Source,
        values: Mapping[str, NamedValue],
        figures_dir: Path,
        tables_dir: Path,
        claims: Mapping[str, ClaimInfo],
    ) -> None:
        self.source = source
        self.values = values
        self.figures_dir = figures_dir
        self.tables_dir = tables_dir
        self.claims = claims
        self.used: list[str] = []
        self.numbers: dict[tuple[str, str], int] = {}

    def where(self, line: int) -> str:
        return _where(self.source.path, line)

    def inline(self, items: Sequence[Inline], line: int) -> tuple[Inline, ...]:
        out = []
        for it in items:
            if it.kind == "value":
                rec = self.values.get(it.name)
                if rec is None:
                    raise unknown_value_error(it.name, self.values, self.where(line))
                if it.name not in self.used:
                    self.used.append(it.name)
                out.append(replace(it, text=rec.text))
            elif it.kind == "ref":
                number = self.numbers.get((it.target, it.name))
                if number is None:
                    raise ReportBuildError(
                        f"{self.where(line)}: {{{it.target}}}`{it.name}` is cited but not "
                        f"placed; place it with a ```{{{it.target}}} {it.name}``` block"
                    )
                word = "Figure" if it.target == "figure" else "Table"
                out.append(replace(it, text=f"{word} {number}"))
            elif it.kind in ("claim", "quote"):
                claim = self.claims.get(it.name)
                if claim is None:
                    raise self.unknown_claim(it.name, line)
                out.append(replace(it, text=claim.quote))
            elif it.children:
                out.append(replace(it, children=self.inline(it.children, line)))
            else:
                out.append(it)
        return tuple(out)

    def unknown_claim(self, cid: str, line: int) -> ReportBuildError:
        import difflib

        if not self.claims:
            return ReportBuildError(
                f"{self.where(line)}: claim {cid!r} is cited but the build audited no claims "
                "(set claims_path)"
            )
        near = difflib.get_close_matches(cid, sorted(self.claims), n=3, cutoff=0.5)
        hint = f"; closest: {', '.join(near)}" if near else ""
        return ReportBuildError(f"{self.where(line)}: the claims audit has no claim {cid!r}{hint}")

    def number_placements(self) -> None:
        n_fig = n_tab = 0
        for b in self.source.blocks:
            if isinstance(b, FigureBlock):
                n_fig += 1
                key = ("figure", b.id)
                if key in self.numbers:
                    raise ReportBuildError(f"{self.where(b.line)}: figure {b.id} is placed twice")
                self.numbers[key] = n_fig
            elif isinstance(b, TableBlock):
                n_tab += 1
                key = ("table", b.id)
                if key in self.numbers:
                    raise ReportBuildError(f"{self.where(b.line)}: table {b.id} is placed twice")
                self.numbers[key] = n_tab

    def figure(self, b: FigureBlock) -> FigureBlock:
        pdf = self.figures_dir / f"{b.id}.pdf"
        png = self.figures_dir / f"{b.id}.png"
        if not (pdf.is_file() and png.is_file()):
            import difflib

            known = sorted({p.stem for p in self.figures_dir.glob("*.png")})
            near = difflib.get_close_matches(b.id, known, n=3, cutoff=0.5)
            hint = f"; closest: {', '.join(near)}" if near else ""
            raise ReportBuildError(
                f"{self.where(b.line)}: no notebook drew a figure {b.id!r}{hint}"
            )
        caption = self.inline(b.caption, b.line)
        if not caption:
            text = _captions(self.figures_dir).get(b.id, b.id.replace("_", " "))
            caption = (Inline("text", text),)
        return replace(b, caption=caption, number=self.numbers[("figure", b.id)], pdf=pdf, png=png)

    def table(self, b: TableBlock) -> TableBlock:
        opts = _options(b)
        where = self.where(b.line)
        columns = [c.strip() for c in opts.get("columns", "").split(",") if c.strip()] or None
        formats = _mapping_option(opts.get("format", ""), where, "format")
        labels = _mapping_option(opts.get("labels", ""), where, "labels")
        if b.id == "claims":
            frame = _claims_frame(self.claims)
            if frame is None:
                raise ReportBuildError(
                    f"{where}: {{claims}} places the claims audit, but the build audited no "
                    "claims (set claims_path)"
                )
            default_caption = "The paper's claims tested against its own data"
            columns = columns or ["claim_id", "source", "verdict", "readings_supported"]
            labels = {"claim_id": "Claim", "readings_supported": "Readings supported", **labels}
        else:
            csv = self.tables_dir / f"{b.id}.csv"
            if not csv.is_file():
                import difflib

                known = sorted(p.stem for p in self.tables_dir.glob("*.csv"))
                near = difflib.get_close_matches(b.id, known, n=3, cutoff=0.5)
                hint = f"; closest: {', '.join(near)}" if near else ""
                raise ReportBuildError(f"{where}: no notebook wrote a table {b.id!r}{hint}")
            frame = read_tidy_csv(csv)
            default_caption = _table_caption(csv.with_suffix(".md")) or b.id.replace("_", " ")
        try:
            table = paper_table(frame, columns=columns, formats=formats, labels=labels)
        except ReportBuildError as exc:
            raise ReportBuildError(f"{where}: table {b.id}: {exc}") from None
        caption = self.inline(b.caption, b.line) or (Inline("text", default_caption),)
        return replace(b, caption=caption, number=self.numbers[("table", b.id)], table=table)


def _claims_frame(claims: Mapping[str, ClaimInfo]) -> Any:
    import pandas as pd

    if not claims:
        return None
    rows = [
        {
            "claim_id": c.id,
            "source": c.source,
            "quote": c.quote,
            "verdict": c.verdict,
            "readings_supported": (
                f"{c.n_supported} of {c.n_readings}" if c.n_readings else "none computable"
            ),
            "must_hold": "yes" if c.must_hold else "no",
        }
        for c in claims.values()
    ]
    return pd.DataFrame(rows)


def resolve(
    source: Source,
    values: Mapping[str, NamedValue],
    output_dir: str | Path,
    claims: Mapping[str, ClaimInfo] | None = None,
) -> Paper:
    """Check every citation of ``source`` against a build and number what is placed.

    Parameters
    ----------
    source : Source
        From :func:`parse_manuscript`.
    values : mapping
        The build's named values (:func:`~cma_research.reporting.values.collect_values`).
    output_dir : path
        The build's output folder (``figures/`` and ``tables/`` are read).
    claims : mapping, optional
        The claims audit (default: :func:`claims_from_tables` of the build).

    Raises
    ------
    ReportBuildError
        A value no notebook recorded (naming the closest names), a figure, table or
        claim the build does not have, a figure or table cited but not placed.
    """
    out = Path(output_dir)
    audit = dict(claims) if claims is not None else claims_from_tables(out / "tables")
    r = _Resolver(source, values, out / "figures", out / "tables", audit)
    r.number_placements()
    # what the build lacks is named first, before the citations of it
    placed: dict[int, Block] = {
        i: (r.figure(b) if isinstance(b, FigureBlock) else r.table(b))
        for i, b in enumerate(source.blocks)
        if isinstance(b, FigureBlock | TableBlock)
    }
    abstract = r.inline(source.abstract, 1)
    blocks: list[Block] = []
    counters = [0, 0, 0]
    appendix = False
    for i, b in enumerate(source.blocks):
        if i in placed:
            blocks.append(placed[i])
        elif isinstance(b, AppendixMark):
            appendix = True
            counters = [0, 0, 0]
            blocks.append(b)
        elif isinstance(b, Heading):
            counters[b.level - 1] += 1
            for deeper in range(b.level, 3):
                counters[deeper] = 0
            first = counters[0]
            head = chr(ord("A") + first - 1) if appendix else str(first)
            number = ".".join([head, *(str(c) for c in counters[1 : b.level])])
            blocks.append(
                replace(b, inlines=r.inline(b.inlines, b.line), number=number, appendix=appendix)
            )
        elif isinstance(b, Paragraph | QuoteBlock):
            blocks.append(replace(b, inlines=r.inline(b.inlines, b.line)))
        elif isinstance(b, ListBlock):
            blocks.append(replace(b, items=tuple(r.inline(i, b.line) for i in b.items)))
    front = source.front
    paper = Paper(
        source=source.path,
        title=str(front["title"]),
        subtitle=str(front.get("subtitle") or ""),
        authors=list(front.get("authors") or []),
        abstract=abstract,
        blocks=blocks,
        claims=audit,
        values=dict(values),
        used_values=r.used,
    )
    paper.sentences = _value_sentences(paper)
    return paper


# -- plain text and sentences ------------------------------------------------------------------

_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"


def plain_text(items: Sequence[Inline], *, marked: bool = False) -> str:
    """Running text as plain text (values as printed; with ``marked``, each value is
    wrapped as ``\\x02name\\x1ftext\\x03`` so a sentence can be traced to its values)."""
    parts: list[str] = []
    for it in items:
        if it.kind == "value":
            parts.append(f"{_MARK_OPEN}{it.name}\x1f{it.text}{_MARK_CLOSE}" if marked else it.text)
        elif it.kind == "quote":
            parts.append(f"\u201c{it.text}\u201d")
        elif it.kind == "claim":
            continue
        elif it.kind == "break":
            parts.append(" ")
        elif it.children:
            parts.append(plain_text(it.children, marked=marked))
        else:
            parts.append(it.text)
    return "".join(parts)


_MARKED = re.compile(f"{_MARK_OPEN}[a-z0-9_]+\x1f([^{_MARK_CLOSE}]*){_MARK_CLOSE}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"\u201c(A-Z0-9\x02])")


def _value_sentences(paper: Paper) -> dict[str, list[str]]:
    """Each cited value's sentences, as the paper prints them."""
    texts: list[tuple[Inline, ...]] = [paper.abstract]
    for b in paper.blocks:
        if isinstance(b, Heading | Paragraph | QuoteBlock):
            texts.append(b.inlines)
        elif isinstance(b, ListBlock):
            texts.extend(b.items)
        elif isinstance(b, FigureBlock | TableBlock):
            texts.append(b.caption)
    found: dict[str, list[str]] = {}
    for inl in texts:
        marked = plain_text(inl, marked=True)
        for sentence in _SENTENCE_END.split(marked):
            names = re.findall(f"{_MARK_OPEN}([a-z0-9_]+)\x1f", sentence)
            clean = _MARKED.sub(r"\1", sentence)
            for name in names:
                found.setdefault(name, [])
                if clean.strip() not in found[name]:
                    found[name].append(clean.strip())
    return found


# -- a starter manuscript for a new study ------------------------------------------------------


def write_starter_manuscript(
    folder: str | Path,
    title: str,
    *,
    data_name: str = "the study's returns",
    claims: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write ``<folder>/manuscript/paper.md``: a first draft of a study's paper.

    The draft cites only values, figures and tables that every build of any valid
    returns file produces (sample, levels, size, reliability; the claims audit as an
    appendix when the study has a claims file), so it renders as soon as the study is
    built; its sentences are a starting point for the authors' own.

    Parameters
    ----------
    folder : path
        The study's folder (the project root of its build).
    title : str
        The paper's title.
    data_name : str
        How the text names the data (e.g. the returns file's name).
    claims : bool
        The study has a claims file: add the claims audit as an appendix.
    overwrite : bool
        Replace an existing manuscript (default: refuse).

    Returns
    -------
    Path
        The manuscript written.

    Raises
    ------
    ReportBuildError
        The manuscript exists and ``overwrite`` is False.
    """
    path = Path(folder) / "manuscript" / "paper.md"
    if path.exists() and not overwrite:
        raise ReportBuildError(f"{path}: a manuscript exists already; not overwritten")
    front = yaml.safe_dump(
        {
            "title": title,
            "authors": ["Author One", "Author Two"],
            "abstract": (
                "We audited {n_businesses} businesses on the {n_stages} {stage_noun}s of the "
                "Customer Management Audit. Across the assessed {stage_noun}s, "
                "{share_below_1} of assessments were {lowest_level_phrase}; the association "
                "of size with maturity: {size_verdict} ({size_apa})."
            ),
        },
        sort_keys=False,
        allow_unicode=True,
        width=1000,
    )
    appendix = _STARTER_APPENDIX if claims else ""
    body = (
        f"---\n{front}---\n" + _STARTER_BODY.replace("@DATA@", _escape_braces(data_name)) + appendix
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, body.encode("utf-8"))
    return path


_STARTER_BODY = """
% A starter manuscript written by cma_research for this study. Every name in braces
% ({n_businesses}) is a value the notebooks record (values.json after a build); figures
% and tables are placed by id. Rewrite the text; keep the citations.

# Sample

The returns (@DATA@) hold {n_businesses} audited businesses, each assessed on up to
{n_stages} {stage_noun}s: {n_cells} assessments were expected and {n_blank} ({share_blank})
were left blank (not assessed); {n_complete} businesses were assessed on every
{stage_noun} ({figure}`01_missingness_map`).

```{figure} 01_missingness_map
:width: 85%
```

# Maturity by {stage_noun}

Across all assessed {stage_noun}s, {share_below_1} of {n_assessments} assessments were
{lowest_level_phrase} (95% CI {share_below_1_ci95_low} to {share_below_1_ci95_high}); the
{stage_noun}s most often there were {stages_most_below} ({figure}`02_level_distribution`,
{table}`02_share_below_level_1`). The median business reached a mean level of
{median_business_mean}; {n_below_target} businesses were below the target level,
{target_level}, on average.

```{figure} 02_level_distribution
```

```{table} 02_share_below_level_1
:columns: name, n_assessed, share_below_1, ci95_low, ci95_high
:format: share_below_1=percent, ci95_low=percent, ci95_high=percent
:labels: name=Name, n_assessed=n
```

# Size and maturity

Size and maturity (Spearman correlation of staff numbers with the mean level, strategy
{missing_strategy}, n = {size_n}): {size_verdict}, {size_apa}
({table}`03_correlations_mean`). {sensitivity_summary}

```{table} 03_correlations_mean
:columns: covariate, n, r, ci95_low, ci95_high, p_val
:format: r=coefficient, ci95_low=coefficient, ci95_high=coefficient
```

# Reliability

Cronbach's alpha of the {n_stages} {stage_noun}s was {alpha} (95% CI {alpha_ci95_low} to
{alpha_ci95_high}, n = {alpha_n} businesses assessed on every {stage_noun}): {alpha_word}
by George and Mallery's bands ({figure}`04_stage_correlations`).

```{figure} 04_stage_correlations
:width: 85%
```
"""

_STARTER_APPENDIX = """
```{appendix}
```

# Claims audit

Of the {claims_n} claims, {claims_supported} are supported by the data,
{claims_partly_supported} partly supported, {claims_not_supported} not supported and
{claims_untestable} cannot be tested; {claims_must_hold_failing} of the {claims_must_hold}
claims marked must hold fail ({table}`claims`).

```{claims}
```
"""


def _escape_braces(text: str) -> str:
    return text.replace("{", "\\{").replace("}", "\\}")
