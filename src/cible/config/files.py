"""Reading a YAML configuration file: one place for the file and syntax errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cible.exceptions import ConfigError


def read_yaml(path: Path) -> Any:
    """The parsed content of ``path``; :class:`ConfigError` naming the file when it is absent or
    not valid YAML."""
    if not path.is_file():
        raise ConfigError(f"configuration file not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
