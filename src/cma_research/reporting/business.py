"""Per-business reports for the consultants who administer audits.

For one business: its level on each stage against its peers (the radar chart of the
paper's Table 3, with the cohort's interquartile band), and a road map: for every stage,
the criterion of the next level from the instrument (the paper's Table 2), and the gap
to the target level. Written as one self-contained HTML page (figure embedded), so it
can be e-mailed to the business owner.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd

from cma_research.analysis.profiles import stage_profile
from cma_research.analysis.road_map import road_map
from cma_research.core.cohort import Cohort
from cma_research.core.files import write_atomic
from cma_research.reporting.text import escape_html

__all__ = ["write_business_report"]


def _radar_png(cohort: Cohort, business_id: str, target: int) -> bytes:
    import matplotlib.pyplot as plt

    from cma_research import plotting
    from cma_research.reporting.files import FIGURE_METADATA

    with plotting.cma_style():
        fig, ax = plt.subplots(
            figsize=(plotting.SINGLE_COLUMN * 1.6, plotting.SINGLE_COLUMN * 1.1),
            subplot_kw={"projection": "polar"},
        )
        plotting.plot_radar(
            stage_profile(cohort, business_id),
            target_level=target,
            ax=ax,
            labels="short_name",
            business_label="this business",
        )
        buf = io.BytesIO()
        fig.savefig(
            buf, format="png", dpi=150, bbox_inches="tight", metadata=FIGURE_METADATA["png"]
        )
        plt.close(fig)
    return buf.getvalue()


def write_business_report(
    cohort: Cohort,
    business_id: str,
    path: str | Path,
    *,
    target_level: int | None = None,
) -> Path:
    """Write a self-contained HTML report for one business (radar and road map).

    Business names and types are escaped; the radar chart is embedded as a PNG, so the
    page needs nothing else to display. Written atomically; byte-identical for the
    same input.

    Returns
    -------
    Path
        The file written.
    """
    plan = road_map(cohort, business_id, target_level=target_level)
    target = int(plan["target_level"].iloc[0])
    attrs = cohort.attributes.xs(business_id, level="business_id").iloc[0]
    btype = attrs.get("business_type")
    staff = attrs.get("staff")
    png = base64.b64encode(_radar_png(cohort, business_id, target)).decode("ascii")
    n_peers = cohort.n_businesses - 1

    def cell(v: object) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return "not assessed" if v is not None else ""
        if isinstance(v, float):
            return f"{v:g}"
        return escape_html(str(v))

    rows = []
    for r in plan.to_dict("records"):
        share = r["peer_share_below"]
        rows.append(
            "<tr>"
            f"<td>{r['number']}</td><td>{escape_html(str(r['name']))}</td>"
            f"<td>{cell(r['level'])}</td><td>{cell(r['peer_median'])}</td>"
            f"<td>{'' if np.isnan(share) else f'{share:.0%}'}</td>"
            f"<td>{escape_html(str(r['status']))}</td>"
            f"<td>{'' if r['next_level'] is pd.NA else r['next_level']}</td>"
            f"<td>{escape_html(str(r['next_criterion']))}</td>"
            "</tr>"
        )
    body = "".join(rows)
    label = escape_html(str(btype)) if btype is not None and btype is not pd.NA else ""
    staff_text = "" if staff is None or staff is pd.NA else f", {int(staff)} staff"
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Customer Management Audit: {escape_html(business_id)}</title>
<style>body{{font-family:sans-serif;max-width:62em;margin:2em auto;line-height:1.4}}
table{{border-collapse:collapse;font-size:90%}}td,th{{border-bottom:1px solid #ddd;
padding:.25em .5em;text-align:left;vertical-align:top}}</style></head>
<body><h1>Customer Management Audit: {escape_html(business_id)}</h1>
<p>{label}{staff_text}. Instrument: {escape_html(cohort.instrument.title)}.
Peers: the other {n_peers} audited businesses of the cohort. Target: level {target}.</p>
<img alt="radar chart of this business against its peers" src="data:image/png;base64,{png}">
<h2>Road map</h2>
<table><thead><tr><th>#</th><th>stage</th><th>level</th><th>peer median</th>
<th>peers below</th><th>position</th><th>next level</th><th>what the next level needs</th>
</tr></thead><tbody>{body}</tbody></table>
<p>A stage not assessed is shown as a gap in the chart, never as level 0. Source:
{escape_html(Path(cohort.source.path).name)} (SHA-256 {cohort.source.sha256[:16]}…).</p>
</body></html>
"""
    target_path = Path(path)
    write_atomic(target_path, html.encode("utf-8"))
    return target_path
