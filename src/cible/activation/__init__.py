"""From segments to campaigns: audience rules (parsed, evaluated in Python, compiled to SQL),
the waterfall of priorities, suppression lists, frequency caps, consent per channel,
pseudonymised identifiers and the exporters (files, webhook, HubSpot and Salesforce Marketing
Cloud shaped connectors). See docs/activation.md."""

from cible.activation.evaluate import evaluate
from cible.activation.rule_sql import rule_sql
from cible.activation.rules import FieldCatalogue, Rule, parse_rule

__all__ = ["FieldCatalogue", "Rule", "evaluate", "parse_rule", "rule_sql"]
