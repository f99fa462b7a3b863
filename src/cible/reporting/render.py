"""What every HTML renderer shares: the Jinja environment over the packaged templates and the way
a Plotly figure becomes a ``<div>`` (plotly.js itself is inlined once per page by the caller)."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATE_DIR = Path(__file__).parent / "templates"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def template_environment() -> Environment:
    """Autoescaping, strict (an undefined variable is an error), whitespace-trimmed."""
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def chart_div(key: str, fig: go.Figure) -> Markup:
    """The figure as a ``<div id="chart-<key>">`` without plotly.js (plotly escapes its data)."""
    html = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{key}",
        config=PLOTLY_CONFIG,
        default_height="100%",
    )
    return Markup(html)
