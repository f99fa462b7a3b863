"""Ingest presets: documented source mappings shipped with cible for common vendor exports
(``config/presets/<name>.yaml``), used as ``sources: [{preset: ga4, path: events.jsonl}]``.

A preset is a source entry without its ``path``: kind, format, types, fields and rules. The
entry that names it may override any top-level key (``name``, ``delimiter``, ...); its
``fields`` are merged over the preset's field by field (a field set to ``null`` is dropped) and
its ``rules`` come after the preset's. See docs/connectors.md for each preset's mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cible.config.files import read_yaml
from cible.exceptions import ConfigError

PRESETS_DIR = Path(__file__).parent / "presets"


def preset_names() -> list[str]:
    """The presets shipped with cible, sorted."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_preset(name: str) -> dict[str, Any]:
    """The source entry of preset ``name``; a ConfigError listing the presets otherwise."""
    if not isinstance(name, str) or name not in preset_names():
        raise ConfigError(f"unknown preset {name!r}; available: {', '.join(preset_names())}")
    body = read_yaml(PRESETS_DIR / f"{name}.yaml")
    if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
        raise ConfigError(f"preset {name!r} is broken: a mapping with 'fields' is expected")
    return {k: v for k, v in body.items() if k != "description"}


def apply_preset(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` (a ``sources`` item with ``preset``) expanded to a full source entry."""
    given = dict(entry)
    name = given.pop("preset")
    preset = load_preset(name)
    fields = dict(preset.get("fields", {}))
    for field, mapping in (given.pop("fields", None) or {}).items():
        if mapping is None:
            fields.pop(field, None)
        else:
            fields[field] = mapping
    rules = [*preset.get("rules", []), *(given.pop("rules", None) or [])]
    types = {**preset.get("types", {}), **(given.pop("types", None) or {})}
    merged = {"name": name, **preset, **given, "fields": fields, "rules": rules}
    if types:
        merged["types"] = types
    return merged
