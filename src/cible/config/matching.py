"""Configuration of duplicate detection: the ``dedup.matching`` section of ``cible.yaml``.

One :class:`MatchingConfig` says which record identifies a row, which keys link records exactly,
which fields are compared and how, which blocking rules propose candidate pairs, and how a pair is
scored (weighted similarity against a threshold, or Fellegi-Sunter probabilities trained by EM).
Unknown keys are refused; every invalid value is reported with what is allowed.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cible.config.files import read_yaml
from cible.exceptions import ConfigError

Comparator = Literal[
    "exact",
    "jaro_winkler",
    "name_words",
    "levenshtein",
    "damerau_levenshtein",
    "token_set",
    "date",
    "numeric",
    "phonetic",
    "postcode",
]
Standardizer = Literal[
    "none",
    "text",
    "name",
    "email",
    "phone",
    "phone_tail",
    "city",
    "postal_code",
    "date",
    "digits",
    "address",
]
KeyTransform = Literal[
    "value", "soundex", "nysiis", "metaphone", "prefix", "suffix", "year", "first_token"
]
Method = Literal["threshold", "fellegi_sunter"]

# Similarity cut-offs that turn a similarity into a Fellegi-Sunter comparison level: level 0 is
# "similarity >= levels[0]" (the best), the last level is "below every cut-off".
DEFAULT_LEVELS: dict[str, tuple[float, ...]] = {
    "exact": (1.0,),
    "jaro_winkler": (1.0, 0.92, 0.85),
    "name_words": (1.0, 0.92, 0.85),
    "levenshtein": (1.0, 0.8, 0.6),
    "damerau_levenshtein": (1.0, 0.8, 0.6),
    "token_set": (1.0, 0.9, 0.7),
    "date": (1.0, 0.9, 0.8, 0.6),
    "numeric": (1.0, 0.95, 0.8),
    "phonetic": (1.0,),
    "postcode": (1.0, 0.9, 0.55, 0.4, 0.2),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldComparison(_Strict):
    """How one column is standardised and compared; gives the pair column ``sim_<name>``."""

    column: str = Field(min_length=1)
    name: str | None = Field(default=None, description="name of the comparison; default: column")
    comparator: Comparator = "jaro_winkler"
    standardize: Standardizer = Field(
        default="text", description="standardiser applied to both sides before comparison"
    )
    weight: float = Field(default=1.0, gt=0, description="weight in the threshold method")
    levels: list[float] | None = Field(
        default=None,
        description="Fellegi-Sunter similarity cut-offs, strictly decreasing, in (0, 1]",
    )
    scale: float | None = Field(
        default=None,
        gt=0,
        description="numeric comparator: difference at which similarity reaches 0 "
        "(default: relative difference)",
    )
    phonetic: Literal["soundex", "nysiis", "metaphone"] = Field(
        default="metaphone", description="code compared by the phonetic comparator"
    )
    swap_with: str | None = Field(
        default=None,
        description="name of another field compared crosswise too (first and last name "
        "swapped): when both crossed similarities beat both direct ones, they replace them",
    )
    term_frequency: bool = Field(
        default=False,
        description="Fellegi-Sunter: an exact match on a rare value weighs more than on a "
        "common one (cible.identity.term_frequency)",
    )

    @property
    def label(self) -> str:
        return self.name or self.column

    @property
    def cut_offs(self) -> tuple[float, ...]:
        return tuple(self.levels) if self.levels is not None else DEFAULT_LEVELS[self.comparator]

    @field_validator("levels")
    @classmethod
    def _decreasing(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("levels must hold at least one cut-off, e.g. [1.0, 0.9]")
        if any(not 0 < v <= 1 for v in value):
            raise ValueError(f"levels must lie in (0, 1]; got {value}")
        if any(a <= b for a, b in pairwise(value)):
            raise ValueError(f"levels must be strictly decreasing; got {value}")
        return value


class BlockingKey(_Strict):
    """One part of a blocking key: a column (standardised) and a transform of its value."""

    column: str = Field(min_length=1)
    transform: KeyTransform = "value"
    length: int | None = Field(
        default=None, ge=1, description="number of characters kept by prefix/suffix"
    )

    @model_validator(mode="after")
    def _length_for_prefix(self) -> BlockingKey:
        if self.transform in {"prefix", "suffix"} and self.length is None:
            raise ValueError(f"transform '{self.transform}' needs a length (e.g. length: 3)")
        if self.transform not in {"prefix", "suffix"} and self.length is not None:
            raise ValueError("length is only allowed with transform 'prefix' or 'suffix'")
        return self

    @property
    def label(self) -> str:
        if self.transform == "value":
            return self.column
        suffix = f"{self.length}" if self.length is not None else ""
        return f"{self.transform}{suffix}({self.column})"


class BlockingRule(_Strict):
    """Records are candidate pairs when their key (all parts non-empty) is equal, or, with a
    ``window``, when they are fewer than ``window`` places apart once sorted on the key."""

    name: str | None = None
    keys: list[BlockingKey] = Field(min_length=1)
    window: int | None = Field(
        default=None, ge=2, description="sorted neighbourhood: window size (>= 2)"
    )

    @field_validator("keys", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """``keys: [postcode]`` is short for ``keys: [{column: postcode}]``."""
        if isinstance(value, list):
            return [{"column": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        keys = "+".join(k.label for k in self.keys)
        return f"sorted({keys}, window={self.window})" if self.window else keys


class EMSettings(_Strict):
    """Training of the Fellegi-Sunter model (expectation-maximisation on the candidate pairs)."""

    max_iter: int = Field(default=200, ge=1)
    tol: float = Field(default=1e-6, gt=0, description="stop when no parameter moves more")
    u_from_random_pairs: bool = Field(
        default=False,
        description="estimate u (non-match level frequencies) on random record pairs and keep "
        "it fixed during EM; only sound when blocking keeps few non-matching pairs, otherwise "
        "EM takes the candidate non-matches (which agree on blocked fields) for matches",
    )
    prior_over_all_pairs: bool = Field(
        default=False,
        description="with u_from_random_pairs: lambda is the share of matches among all record "
        "pairs, the candidates being a truncated sample of them (cible.identity.fellegi_sunter); "
        "this keeps EM from taking blocked non-matches for matches",
    )
    m_from_rule_sessions: bool = Field(
        default=False,
        description="with u_from_random_pairs and prior_over_all_pairs: m from one EM session "
        "per blocking rule, the rule's own fields off (cible.identity.em_sessions), then lambda "
        "over all record pairs re-estimated with m and u fixed",
    )
    random_pairs: int = Field(default=200_000, ge=1000)
    random_state: int = 0


class MatchingConfig(_Strict):
    """Duplicate detection settings (``dedup.matching`` in ``cible.yaml``)."""

    id_column: str | None = Field(
        default=None, description="column identifying a record; default: the frame's index"
    )
    exact_keys: list[list[str]] = Field(
        default_factory=list,
        description="composite keys: records equal on every part (none empty) are duplicates",
    )
    fields: list[FieldComparison] = Field(min_length=1)
    blocking: list[BlockingRule] = Field(default_factory=list)
    method: Method = "threshold"
    threshold: float = Field(default=0.85, gt=0, le=1)
    em: EMSettings = Field(default_factory=EMSettings)
    phone_region: str = Field(
        default="FR",
        min_length=2,
        max_length=2,
        description="region (ISO 3166) of phone numbers written without international prefix",
    )
    link_column: str | None = Field(
        default=None,
        description="linkage between sources: records with the same value in this column (e.g. "
        "the source name) are never compared, so only cross-source pairs can match",
    )
    max_block_size: int = Field(
        default=5000,
        ge=2,
        description="blocks with more records are skipped (reported in stats)",
    )
    clustering: Literal["components", "evidence"] = Field(
        default="components",
        description="components: entities are the connected components of the matches; "
        "evidence (fellegi_sunter): two groups join only when the Bayes factors of every pair "
        "compared between them reach the threshold (cible.identity.clustering)",
    )

    @field_validator("exact_keys", mode="before")
    @classmethod
    def _key_shorthand(cls, value: Any) -> Any:
        """``exact_keys: [email]`` is short for ``[[email]]``."""
        if isinstance(value, list):
            return [[v] if isinstance(v, str) else v for v in value]
        return value

    @field_validator("exact_keys")
    @classmethod
    def _non_empty_keys(cls, value: list[list[str]]) -> list[list[str]]:
        for key in value:
            if not key or any(not part for part in key):
                raise ValueError("every exact key must list at least one non-empty column name")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> MatchingConfig:
        labels = [f.label for f in self.fields]
        repeated = sorted({n for n in labels if labels.count(n) > 1})
        if repeated:
            raise ValueError(
                f"field names must be unique (set 'name' to compare a column twice); "
                f"repeated: {repeated}"
            )
        for f in self.fields:
            if f.swap_with is not None and (f.swap_with not in labels or f.swap_with == f.label):
                raise ValueError(
                    f"field '{f.label}': swap_with '{f.swap_with}' must name another field; "
                    f"fields are {labels}"
                )
        if not self.blocking and not self.exact_keys:
            raise ValueError(
                "give at least one blocking rule (e.g. blocking: [{keys: [postcode]}]) or one "
                "exact key: comparing every pair of records does not scale"
            )
        if self.clustering == "evidence" and self.method != "fellegi_sunter":
            raise ValueError(
                "clustering 'evidence' weighs Bayes factors: it needs method 'fellegi_sunter' "
                f"(method is '{self.method}')"
            )
        return self

    def standardizer_of(self, column: str) -> Standardizer:
        """The standardiser of a column: the first field comparing it, else ``text``."""
        for f in self.fields:
            if f.column == column:
                return f.standardize
        return "text"

    def columns(self) -> list[str]:
        """Every record column the configuration reads (fields, exact keys, blocking keys)."""
        seen: dict[str, None] = {}
        for f in self.fields:
            seen[f.column] = None
        for key in self.exact_keys:
            for part in key:
                seen[part] = None
        for rule in self.blocking:
            for k in rule.keys:
                seen[k.column] = None
        if self.link_column is not None:
            seen[self.link_column] = None
        return list(seen)


def _format_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: invalid dedup.matching section ({err.error_count()} problem(s))"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"  - dedup.matching.{loc}: {msg}" if loc else f"  - {msg}")
    return "\n".join(lines)


def parse_matching_config(data: object, *, path: Path) -> MatchingConfig:
    """Validate the ``dedup.matching`` mapping; problems are a :class:`ConfigError`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: dedup.matching must be a mapping, not {type(data).__name__}")
    try:
        return MatchingConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_error(path, e)) from e


def load_matching_config(path: Path | str) -> MatchingConfig:
    """Read ``dedup.matching`` from a YAML file (``dedup: {matching: {...}}``)."""
    path = Path(path)
    data = read_yaml(path)
    dedup = data.get("dedup") if isinstance(data, dict) else None
    if not isinstance(dedup, dict) or "matching" not in dedup:
        raise ConfigError(
            f"{path}: no dedup.matching section; expected 'dedup: {{matching: {{fields: [...], "
            "blocking: [...]}}}}'"
        )
    return parse_matching_config(dedup["matching"], path=path)
