"""Plotly figures of the segment lifecycle: the migration matrix as a Sankey chart.

Only lays out values computed by :mod:`cible.lifecycle.migration`: left nodes are the segments
before, right nodes the segments after, each link the customers of one cell (customers present
on one side only come from "entered" / go to "left")."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from cible.lifecycle.migration import OUTSIDE, MigrationMatrix


def _label(segment: int, names: Mapping[int, str], outside: str) -> str:
    if segment == OUTSIDE:
        return outside
    return f"{segment} {names[segment]}" if segment in names else f"Segment {segment}"


def migration_sankey(
    matrix: MigrationMatrix,
    before_names: Mapping[int, str] | None = None,
    after_names: Mapping[int, str] | None = None,
    *,
    title: str = "Segment migration",
) -> go.Figure:
    """The migration matrix as a Sankey chart (one node per segment and side)."""
    before_names = before_names or {}
    after_names = after_names or {}
    rows = [int(v) for v in matrix.counts.index]
    cols = [int(v) for v in matrix.counts.columns]
    labels = [_label(s, before_names, "entered") for s in rows]
    labels += [_label(s, after_names, "left") for s in cols]
    source, target, value = [], [], []
    for move in matrix.moves():
        a = OUTSIDE if move["from"] is None else int(move["from"])
        b = OUTSIDE if move["to"] is None else int(move["to"])
        source.append(rows.index(a))
        target.append(len(rows) + cols.index(b))
        value.append(int(move["customers"] or 0))
    figure = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 12, "thickness": 14},
            link={"source": source, "target": target, "value": value},
        )
    )
    figure.update_layout(title=title, template="plotly_white")
    return figure
