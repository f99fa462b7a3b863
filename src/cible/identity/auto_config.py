"""A matching configuration from a list of field names: comparators, levels and blocking chosen.

``auto_matching_config(records, ["given_name", "surname", "date_of_birth", "postcode"])``:

1. **Kinds.** Each field's kind (name, date, phone, e-mail, postcode, city, address, id, number,
   category, free text) is taken as given (``"phone:phone"`` or ``{"tel": "phone"}``), else read
   from the column name, else from its values (:mod:`cible.identity.field_kinds`).
2. **Comparisons.** The kind fixes the standardiser, the comparator and the Fellegi-Sunter levels;
   names, cities, streets, postcodes and categories weigh exact matches by term frequency
   (:mod:`cible.identity.term_frequency`). A missing value is its own neutral level (the field
   says nothing), as everywhere in the matcher. A phone loses its near level (two edits) when
   random pairs reach it at least half as often as equal (:func:`without_neighbour_levels`).
3. **Blocking.** Every field proposes rules (its value; the NYSIIS code of a name), plus a sorted
   neighbourhood over the name fields. Each rule's pairs are counted from key counts before
   anything is compared (:mod:`cible.identity.blocking_analysis`). A rule over the budget
   (``wide_factor`` pairs per record, at least 50,000 pairs) is tightened with the other field that keeps the most pairs
   under the budget, or dropped when none does; all of this is reported.
4. **Scoring.** Fellegi-Sunter: ``u`` from random pairs, ``m`` and lambda by one EM over the
   candidate pairs with lambda taken over all pairs; match probability >= 0.9; entities joined
   on the evidence of all their compared pairs (``clustering: evidence``,
   :func:`cible.identity.clustering.evidence_components`). Training ``m`` in one session per
   blocking rule (``em.m_from_rule_sessions``, as Splink does) is NOT the default: it lifts
   Splink's 50k historical persons from F1 0.797 to 0.851, but on generated customers it learns
   that a birth-date disagreement says little (the name-only blocks are full of namesakes) and
   merges namesakes: precision 0.962 instead of 0.999 at 100,000 records and 0.520 at 1,000,000
   (docs/dedup.md). A wrong merge costs more than a missed one.

:func:`find_duplicates_auto` runs it and puts the report in ``stats["auto_config"]``;
``str(auto)`` prints it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cible.config.matching import (
    BlockingKey,
    BlockingRule,
    EMSettings,
    FieldComparison,
    MatchingConfig,
)
from cible.exceptions import DedupError
from cible.identity.blocking_analysis import (
    WIDE_FACTOR,
    RuleCount,
    count_rule,
    format_analysis,
    pair_budget,
)
from cible.identity.field_kinds import (
    KIND_SPECS,
    blocking_keys,
    check_kind,
    field_comparison,
    infer_kind,
)
from cible.identity.match import MatchResult, find_duplicates
from cible.identity.prepare import Prepared, prepare
from cible.identity.scoring import random_pair_levels

FieldSpec = str | Mapping[str, str]
NAME_WINDOW = 5
DEFAULT_THRESHOLD = 0.9
SWAPPED_KINDS = ("name", "address")


@dataclass(frozen=True)
class FieldChoice:
    """The kind of one field, how it was found, and the comparison it got."""

    column: str
    kind: str
    source: str  # "given", "column name" or "values"
    comparator: str
    levels: tuple[float, ...]
    term_frequency: bool


@dataclass(frozen=True)
class AutoConfig:
    """The chosen configuration and why: field kinds, blocking rules with their pair counts."""

    config: MatchingConfig
    fields: tuple[FieldChoice, ...]
    blocking: tuple[RuleCount, ...]
    dropped: tuple[RuleCount, ...] = field(default_factory=tuple)
    n_records: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "fields": [vars(f) | {"levels": list(f.levels)} for f in self.fields],
            "blocking": [c.as_dict() for c in self.blocking],
            "dropped_rules": [c.as_dict() for c in self.dropped],
            "method": self.config.method,
            "threshold": self.config.threshold,
        }

    def __str__(self) -> str:
        lines = [f"automatic matching configuration ({self.n_records:,} records):"]
        for f in self.fields:
            tf = ", term frequency" if f.term_frequency else ""
            lines.append(
                f"  {f.column}: {f.kind} (from {f.source}) -> {f.comparator} "
                f"levels {list(f.levels)}{tf}"
            )
        lines.append(format_analysis(list(self.blocking), self.n_records))
        for c in self.dropped:
            lines.append(f"  dropped {c.rule}: {c.pairs:,} pairs ({c.warning})")
        return "\n".join(lines)


def parse_fields(fields: Sequence[FieldSpec]) -> list[tuple[str, str | None]]:
    """``["a", "b:phone", {"c": "date"}]`` -> ``[("a", None), ("b", "phone"), ("c", "date")]``."""
    out: list[tuple[str, str | None]] = []
    for spec in fields:
        if isinstance(spec, str):
            column, _, kind = spec.partition(":")
            out.append((column.strip(), kind.strip() or None))
        else:
            out.extend((str(c), str(k)) for c, k in spec.items())
    if not out:
        raise DedupError("list at least one field to compare")
    return out


def choose_fields(records: pd.DataFrame, fields: Sequence[FieldSpec]) -> list[FieldChoice]:
    """The kind and comparison of every listed field."""
    choices = []
    for column, given in parse_fields(fields):
        if column not in records.columns:
            raise DedupError(
                f"field '{column}' is not a column of the records; columns are "
                f"{list(records.columns)}"
            )
        if given is not None:
            kind, source = check_kind(column, given), "given"
        else:
            kind, source = infer_kind(column, records[column])
        spec = KIND_SPECS[kind]
        choices.append(
            FieldChoice(column, kind, source, spec.comparator, spec.levels, spec.term_frequency)
        )
    return choices


def candidate_rules(choices: Sequence[FieldChoice]) -> list[BlockingRule]:
    """Single-field rules of every field, and a sorted neighbourhood over the name fields."""
    rules = [BlockingRule(keys=[key]) for c in choices for key in blocking_keys(c.column, c.kind)]
    names = [c.column for c in choices if c.kind == "name"]
    if names:
        rules.append(BlockingRule(keys=[BlockingKey(column=n) for n in names], window=NAME_WINDOW))
    return rules


def _tighten(
    prepared: Prepared,
    rule: BlockingRule,
    choices: Sequence[FieldChoice],
    budget: float,
    standalone: set[str],
    sources: np.ndarray | None,
) -> tuple[BlockingRule, RuleCount] | None:
    """``rule`` and one more field's value, the combination keeping most pairs under budget.

    Fields whose own rule is kept (``standalone``) are not added: ``rule + field`` would
    propose a subset of that rule's pairs.
    """
    used = {k.column for k in rule.keys}
    best: tuple[BlockingRule, RuleCount] | None = None
    for c in choices:
        if c.column in used or c.column in standalone or c.kind in {"text", "number"}:
            continue
        tighter = BlockingRule(keys=[*rule.keys, BlockingKey(column=c.column)])
        count = count_rule(
            prepared,
            tighter,
            wide_factor=budget / max(len(prepared), 1),
            sources=sources,
            min_pairs=0,
        )
        if 0 < count.pairs <= budget and (best is None or count.pairs > best[1].pairs):
            best = (tighter, count)
    return best


def _signature(rule: BlockingRule) -> tuple[frozenset[tuple[str, str, int | None]], int | None]:
    return frozenset((k.column, k.transform, k.length) for k in rule.keys), rule.window


def _sources(prepared: Prepared, link_column: str | None) -> np.ndarray | None:
    if link_column is None:
        return None
    codes = pd.factorize(pd.Series(prepared.values[link_column], dtype=object))[0]
    return np.where(codes < 0, -1 - np.arange(len(codes)), codes)  # missing: its own source


def choose_blocking(
    prepared: Prepared,
    choices: Sequence[FieldChoice],
    *,
    wide_factor: float,
    link_column: str | None = None,
) -> tuple[list[BlockingRule], list[RuleCount], list[RuleCount]]:
    """Rules kept (tightened when too wide), their counts, and the rules dropped.

    Pairs are counted over every block, ``max_block_size`` ignored: a rule whose blocks would be
    skipped for their size is too wide, and is tightened rather than silently thinned.
    """
    budget = pair_budget(len(prepared), wide_factor)
    sources = _sources(prepared, link_column)
    rules = candidate_rules(choices)
    first = [count_rule(prepared, r, wide_factor=wide_factor, sources=sources) for r in rules]
    standalone = {
        r.keys[0].column
        for r, c in zip(rules, first, strict=True)
        if r.window is None and r.keys[0].transform == "value" and 0 < c.pairs <= budget
    }
    kept: list[BlockingRule] = []
    counts: list[RuleCount] = []
    dropped: list[RuleCount] = []
    for rule, count in zip(rules, first, strict=True):
        if count.pairs > budget and rule.window is None:
            tightened = _tighten(prepared, rule, choices, budget, standalone, sources)
            if tightened is None:
                dropped.append(count)
                continue
            rule, count = tightened
        if count.pairs == 0:
            dropped.append(count)
            continue
        if _signature(rule) not in {_signature(r) for r in kept}:  # city+dob is dob+city
            kept.append(rule)
            counts.append(count)
    return kept, counts, dropped


NEIGHBOUR_KINDS = ("phone",)
NEIGHBOUR_SHARE = 0.5  # near pairs among random pairs, against exact ones
NEIGHBOUR_MIN_PAIRS = 10


def without_neighbour_levels(
    prepared: Prepared,
    probe: MatchingConfig,
    comparisons: list[FieldComparison],
    choices: list[FieldChoice],
) -> tuple[list[FieldComparison], list[FieldChoice]]:
    """Phones keep their near level (two edits) only when random pairs seldom reach it.

    A near level stands for a typo, rare between two random records. Where numbers cluster
    (lines of one switchboard, "891-7349" / "891-7374"), random pairs are near about as often
    as equal: the level then says "same building", and EM takes it for a match. When the near
    pairs among ``em.random_pairs`` random pairs are at least ``NEIGHBOUR_MIN_PAIRS`` and at
    least ``NEIGHBOUR_SHARE`` times the equal ones, the level is merged into disagreement.
    """
    picked = [k for k, c in enumerate(choices) if c.kind in NEIGHBOUR_KINDS]
    if not picked or len(prepared) < 2:
        return comparisons, choices
    fields = [comparisons[k] for k in picked]
    gamma = random_pair_levels(prepared, probe.model_copy(update={"fields": fields}))
    comparisons, choices = list(comparisons), list(choices)
    for j, k in enumerate(picked):
        cut_offs = list(fields[j].cut_offs)
        if len(cut_offs) < 3:
            continue
        equal, near = int((gamma[:, j] == 0).sum()), int((gamma[:, j] == 2).sum())
        if near >= NEIGHBOUR_MIN_PAIRS and near >= NEIGHBOUR_SHARE * equal:
            comparisons[k] = fields[j].model_copy(update={"levels": cut_offs[:2]})
            choices[k] = replace(choices[k], levels=tuple(cut_offs[:2]))
    return comparisons, choices


def auto_matching_config(
    records: pd.DataFrame,
    fields: Sequence[FieldSpec],
    *,
    id_column: str | None = None,
    link_column: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    wide_factor: float = WIDE_FACTOR,
) -> AutoConfig:
    """Choose comparisons and blocking for ``fields`` of ``records`` (see the module doc)."""
    choices = choose_fields(records, fields)
    comparisons = [field_comparison(c.column, c.kind) for c in choices]
    for kind in SWAPPED_KINDS:  # first and last name, address lines 1 and 2 may be swapped
        same = [k for k, c in enumerate(choices) if c.kind == kind]
        if len(same) >= 2:
            first, second = comparisons[same[0]], comparisons[same[1]]
            comparisons[same[0]] = first.model_copy(update={"swap_with": second.label})
    probe = MatchingConfig(
        id_column=id_column,
        link_column=link_column,
        fields=comparisons,
        blocking=[BlockingRule(keys=[BlockingKey(column=comparisons[0].column)])],
    )
    prepared = prepare(records, probe)
    comparisons, choices = without_neighbour_levels(prepared, probe, comparisons, choices)
    rules, counts, dropped = choose_blocking(
        prepared, choices, wide_factor=wide_factor, link_column=link_column
    )
    if not rules:
        raise DedupError(
            "no blocking rule fits: every field proposes either no pair or more than "
            f"{wide_factor:g} pairs per record; list a more selective field (id, e-mail, date)"
        )
    config = MatchingConfig(
        id_column=id_column,
        fields=comparisons,
        blocking=rules,
        method="fellegi_sunter",
        threshold=threshold,
        clustering="evidence",
        link_column=link_column,
        em=EMSettings(u_from_random_pairs=True, prior_over_all_pairs=True),
    )
    return AutoConfig(config, tuple(choices), tuple(counts), tuple(dropped), len(prepared))


def find_duplicates_auto(
    records: pd.DataFrame, fields: Sequence[FieldSpec], **options: Any
) -> tuple[MatchResult, AutoConfig]:
    """:func:`auto_matching_config` then :func:`find_duplicates`; the report in the stats."""
    auto = auto_matching_config(records, fields, **options)
    result = find_duplicates(records, auto.config)
    result.stats["auto_config"] = auto.as_dict()
    model = result.model
    if model is not None and hasattr(model, "prior_"):
        result.stats["auto_config"]["em_prior"] = model.prior_
        result.stats["auto_config"]["expected_matches"] = model.expected_matches_
        result.stats["auto_config"]["m_distance"] = getattr(model, "m_distance_", None)
    return result, auto
