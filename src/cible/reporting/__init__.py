"""Reporting: typed results rendered to a self-contained HTML report."""

from cible.reporting.html import render_report

__all__ = ["render_report"]
