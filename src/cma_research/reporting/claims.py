"""The claims audit as a reader reads it: one block per claim.

A claim is a sentence of a paper, read in one or more explicit ways; the tidy audit
(:func:`~cma_research.analysis.claims.audit_claims`) has one row per reading. A table of
those rows squeezes the verbatim quotes and readings into narrow columns and repeats
each quote once per reading. Here each claim is one block: the quote with its source,
then each reading with its verdict and numbers, then the claim's verdict. The tidy rows
stay the data behind it (the notebook saves them as CSV).
"""

from __future__ import annotations

import pandas as pd

from cma_research.core.errors import ParameterError
from cma_research.reporting.tables import strategy_words
from cma_research.reporting.text import escape_html

__all__ = ["ClaimsView", "claims_html"]

_NEEDED = ("claim_id", "quote", "source", "reading_no", "reading", "verdict_text", "claim_verdict")
_VERDICT_CLASS = {
    "supported": "yes",
    "partly supported": "partly",
    "not supported": "no",
    "cannot be tested": "untested",
}
_CSS = (
    "<style>"
    ".cma-claims{max-width:60em}"
    ".cma-claim{border-left:3px solid #bbb;padding:.1em 0 .1em .9em;margin:1.2em 0}"
    ".cma-claim.yes{border-color:#1b7a3a}.cma-claim.no{border-color:#b23c00}"
    ".cma-claim.partly{border-color:#c99700}.cma-claim.untested{border-color:#888}"
    ".cma-claim blockquote{margin:.2em 0 .4em;font-style:italic}"
    ".cma-claim .source{color:#555;font-size:.9em}"
    ".cma-claim ol{margin:.3em 0 .3em 1.2em;padding:0}"
    ".cma-claim li{margin:.25em 0}"
    ".cma-verdict{font-weight:600;white-space:nowrap}"
    ".cma-verdict.yes{color:#1b7a3a}.cma-verdict.no{color:#b23c00}"
    ".cma-verdict.partly{color:#8a6800}.cma-verdict.untested{color:#555}"
    ".cma-claim .numbers{color:#333}"
    "</style>"
)


def _verdict(text: str) -> str:
    kind = _VERDICT_CLASS.get(text, "untested")
    return f'<span class="cma-verdict {kind}">{escape_html(text)}</span>'


def claims_html(audit: pd.DataFrame) -> str:
    """One HTML block per claim of a claims audit, in the audit's order.

    Parameters
    ----------
    audit : DataFrame
        Output of :func:`~cma_research.analysis.claims.audit_claims` (one row per
        reading; ``claim_id``, ``quote``, ``source``, ``reading_no``, ``reading``,
        ``verdict_text``, ``claim_verdict``; ``comparison`` and ``strategy`` when
        present).

    Returns
    -------
    str
        An HTML fragment; every text from the claims file is escaped.

    Examples
    --------
    >>> audit = pd.DataFrame({"claim_id": ["c1"], "quote": ["Most <b>firms</b> lag."],
    ...     "source": ["Abstract, line 2"], "reading_no": [1], "reading": ["most = over half"],
    ...     "verdict_text": ["not supported: 40% of businesses"],
    ...     "claim_verdict": ["not supported"], "comparison": ["> 0.5"]})
    >>> html = claims_html(audit)
    >>> "Most &lt;b&gt;firms&lt;/b&gt; lag." in html, "40% of businesses" in html
    (True, True)
    """
    missing = [c for c in _NEEDED if c not in audit.columns]
    if missing:
        raise ParameterError(
            f"claims_html needs the columns of audit_claims; missing: {', '.join(missing)}"
        )
    blocks = []
    for claim_id, rows in audit.groupby("claim_id", sort=False):
        first = rows.iloc[0]
        verdict = str(first["claim_verdict"])
        kind = _VERDICT_CLASS.get(verdict, "untested")
        items = []
        for _, row in rows.iterrows():
            text = str(row["verdict_text"])
            said, _, numbers = text.partition(": ")
            reading = str(row["reading"]) if pd.notna(row["reading"]) else ""
            details = []
            if numbers:
                details.append(escape_html(numbers))
            comparison = row.get("comparison")
            if isinstance(comparison, str) and comparison:
                details.append(f"criterion {escape_html(comparison)}")
            strategy = row.get("strategy")
            if isinstance(strategy, str) and strategy:
                details.append(escape_html(strategy_words(strategy)))
            head = f"{escape_html(reading)} " if reading else ""
            tail = f' <span class="numbers">({"; ".join(details)})</span>' if details else ""
            items.append(f"<li>{head}{_verdict(said)}{tail}</li>")
        blocks.append(
            f'<section class="cma-claim {kind}" id="claim-{escape_html(str(claim_id))}">'
            f"<blockquote>{escape_html(str(first['quote']))}</blockquote>"
            f'<div class="source">{escape_html(str(first["source"]))} · '
            f"<code>{escape_html(str(claim_id))}</code></div>"
            f"<ol>{''.join(items)}</ol>"
            f"<p>Claim: {_verdict(verdict)}</p></section>"
        )
    return f'<div class="cma-claims">{_CSS}{"".join(blocks)}</div>'


class ClaimsView:
    """The claims audit shown in a notebook (``display(ClaimsView(audit))``)."""

    def __init__(self, audit: pd.DataFrame) -> None:
        self.audit = audit

    def _repr_html_(self) -> str:
        return claims_html(self.audit)

    def __repr__(self) -> str:
        n = self.audit["claim_id"].nunique() if "claim_id" in self.audit.columns else 0
        return f"Claims audit: {n} claims"
