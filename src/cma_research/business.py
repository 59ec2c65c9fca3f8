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

from ._atomic import write_atomic
from .cleaning import Strategy
from .cohort import Cohort
from .profiles import stage_profile
from .reports import escape_html

__all__ = ["road_map", "write_business_report"]


def road_map(
    cohort: Cohort,
    business_id: str,
    *,
    target_level: int | None = None,
    strategy: Strategy = "available_case",
) -> pd.DataFrame:
    """Stage-by-stage position of one business and the next step on each stage.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    business_id : str
    target_level : int, optional
        Default: the instrument's target level (4 for the bundled instruments).
    strategy : str
        Missing-stage strategy for the peer statistics (default ``available_case``);
        the business's own levels are never imputed.

    Returns
    -------
    DataFrame
        One row per stage in journey order: ``stage``, ``number``, ``name``, ``level``
        (NaN = not assessed), ``peer_median``, ``peer_share_below`` (share of assessed
        peers strictly below this business), ``n_peers``, ``target_level``, ``gap``
        (target minus level, 0 when at or above it), ``next_level``,
        ``next_criterion`` (the instrument's criterion for the next level; for a stage
        not assessed, the level-1 criterion), ``status``.

    Examples
    --------
    >>> from cma_research import load_returns
    >>> plan = road_map(load_returns("data/raw/customer_wise_2007.csv"), "B04")
    >>> print(plan.loc[0, "level"], plan.loc[0, "next_level"], plan.loc[0, "next_criterion"])
    2.0 3 Targets derived from data and forecasts made for future
    >>> plan.loc[6, "status"]
    'not assessed: assess this stage first'
    """
    profile = stage_profile(cohort, business_id, strategy=strategy)
    inst = cohort.instrument
    target = inst.target_level if target_level is None else target_level
    if target is None:
        target = inst.max_level
    rows = []
    for stage, prof in zip(inst.stages, profile.itertuples(index=False), strict=True):
        level = float(prof.level)  # type: ignore[arg-type]
        if np.isnan(level):
            next_level = inst.min_level + 1
            status = "not assessed: assess this stage first"
        elif level >= inst.max_level:
            next_level = None
            status = "at the highest level: sustain it"
        else:
            next_level = int(level) + 1
            status = (
                "at or above target" if level >= target else f"{target - int(level)} below target"
            )
        rows.append(
            {
                "stage": stage.id,
                "number": stage.number,
                "name": stage.name,
                "level": level,
                "peer_median": float(prof.median),  # type: ignore[arg-type]
                "peer_share_below": float(prof.peer_share_below),  # type: ignore[arg-type]
                "n_peers": int(prof.n_assessed),  # type: ignore[arg-type]
                "target_level": target,
                "gap": np.nan if np.isnan(level) else float(max(target - level, 0)),
                "next_level": next_level,
                "next_criterion": stage.criteria.get(next_level, "") if next_level else "",
                "status": status,
            }
        )
    out = pd.DataFrame(rows)
    out["next_level"] = out["next_level"].astype("Int64")
    for col in ("stage", "name", "next_criterion", "status"):
        out[col] = out[col].astype("string")
    return out


def _radar_png(cohort: Cohort, business_id: str, target: int) -> bytes:
    import matplotlib.pyplot as plt

    from . import plotting
    from .reports import _METADATA

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
        fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata=_METADATA["png"])
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
