"""Guards: a resolution that has collapsed is refused instead of reported as a success.

Two failures look like success on the console ("50,578 records -> 7,653 customers") and are not:

* **a giant entity**: chains of weak matches join unrelated records into one entity (a single
  wrong edge between two large groups is enough, since entities are connected components). An
  entity is giant when it holds more than ``max_entity_size`` records **and** more than
  ``max_entity_share`` of all records; at exactly a limit it is allowed.
* **a degenerate model**: EM ends with lambda (the share of matches among candidate pairs) at 0 or
  1, or with ``m`` and ``u`` nearly equal on every field (total variation distance
  ``0.5 * sum(|m - u|)`` at most ``min_field_separation``): scores then say nothing.

:func:`check_resolution` measures both and returns a :class:`GuardReport` (the largest entity is
always reported); :func:`enforce` raises :class:`~cible.exceptions.GuardError` when a guard is
violated and ``on_violation`` is ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cible.config.dedup import GuardsConfig
from cible.exceptions import GuardError
from cible.identity.fellegi_sunter import FellegiSunter


@dataclass(frozen=True)
class GuardFinding:
    """One violated guard: ``rule`` (``giant_entity``, ``em_lambda``, ``em_no_separation``)."""

    rule: str
    message: str


@dataclass(frozen=True)
class GuardReport:
    """The largest entity and every violated guard of a resolution."""

    records: int
    largest_entity_id: str | None
    largest_entity_size: int
    findings: tuple[GuardFinding, ...] = field(default_factory=tuple)

    @property
    def largest_entity_share(self) -> float:
        return self.largest_entity_size / self.records if self.records else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "largest_entity": self.largest_entity_size,
            "largest_entity_id": self.largest_entity_id,
            "largest_entity_share": round(self.largest_entity_share, 6),
            "guard_findings": [{"rule": f.rule, "message": f.message} for f in self.findings],
        }


def largest_entity(clusters: pd.DataFrame) -> tuple[str | None, int]:
    """Id and size of the largest entity (ties: the smallest entity id)."""
    if clusters.empty:
        return None, 0
    sizes = clusters.groupby(clusters["entity_id"].astype(str)).size()
    top = int(sizes.max())
    return str(sorted(sizes.index[sizes == top])[0]), top


def is_giant(size: int, records: int, guards: GuardsConfig) -> bool:
    """More than ``max_entity_size`` records and more than ``max_entity_share`` of them."""
    return size > guards.max_entity_size and size > guards.max_entity_share * records


def entity_findings(clusters: pd.DataFrame, guards: GuardsConfig) -> list[GuardFinding]:
    """A finding for the largest entity when it is giant (its size names the others' bound)."""
    entity, size = largest_entity(clusters)
    records = len(clusters)
    if entity is None or not is_giant(size, records, guards):
        return []
    sizes = clusters.groupby(clusters["entity_id"].astype(str)).size()
    giants = int(sum(is_giant(int(s), records, guards) for s in sizes))
    return [
        GuardFinding(
            "giant_entity",
            f"entity {entity} holds {size:,} of {records:,} records ({size / records:.1%}), more "
            f"than dedup.guards.max_entity_size ({guards.max_entity_size:,}) and "
            f"max_entity_share ({guards.max_entity_share:.1%}); {giants} entit"
            f"{'y is' if giants == 1 else 'ies are'} that large. Chains of weak matches have "
            "joined unrelated records: raise the threshold, tighten the blocking rules or the "
            "em settings, or set dedup.guards.on_violation: warn to keep the result",
        )
    ]


def _separation(model: FellegiSunter) -> np.ndarray:
    """Total variation distance between m and u of every field."""
    return np.array(
        [
            0.5 * float(np.abs(np.asarray(m) - np.asarray(u)).sum())
            for m, u in zip(model.m_, model.u_, strict=True)
        ]
    )


def model_findings(
    model: FellegiSunter,
    guards: GuardsConfig,
    labels: Sequence[str],
    lambda_candidates: float | None = None,
) -> list[GuardFinding]:
    """Findings for a degenerate Fellegi-Sunter model (lambda at 0 or 1, m ~ u everywhere).

    lambda is the share of matches among the candidate pairs: ``lambda_candidates`` when given
    (a model trained with u from random pairs has the prior of all record pairs as its lambda,
    legitimately tiny), else the model's."""
    out = []
    lam = float(model.lambda_ if lambda_candidates is None else lambda_candidates)
    if lam <= guards.min_lambda or lam >= 1 - guards.min_lambda:
        side = "no candidate pair is a match" if lam < 0.5 else "every candidate pair is a match"
        out.append(
            GuardFinding(
                "em_lambda",
                f"EM ended with lambda = {lam:.3g} ({side}; limit dedup.guards.min_lambda "
                f"{guards.min_lambda:g}): the model cannot tell matches apart; check the fields "
                "and levels, widen or tighten blocking, or use method: threshold",
            )
        )
    separation = _separation(model)
    # a tolerance of 1e-12 so that a distance written as exactly the limit counts as at it
    if len(separation) and bool(np.all(separation <= guards.min_field_separation + 1e-12)):
        names = list(labels) or [f"field {i}" for i in range(len(separation))]
        worst = ", ".join(f"{n} {s:.3f}" for n, s in zip(names, separation, strict=True))
        out.append(
            GuardFinding(
                "em_no_separation",
                f"EM ended with m close to u on every field (total variation {worst}; limit "
                f"dedup.guards.min_field_separation {guards.min_field_separation:g}): no field "
                "separates matches from non-matches",
            )
        )
    return out


def check_resolution(
    clusters: pd.DataFrame,
    guards: GuardsConfig,
    model: FellegiSunter | None = None,
    labels: Sequence[str] = (),
    lambda_candidates: float | None = None,
) -> GuardReport:
    """Measure the largest entity and the model; every violated guard is a finding."""
    entity, size = largest_entity(clusters)
    findings = entity_findings(clusters, guards)
    if model is not None:
        findings = model_findings(model, guards, labels, lambda_candidates) + findings
    return GuardReport(len(clusters), entity, size, tuple(findings))


def enforce(report: GuardReport, guards: GuardsConfig) -> None:
    """Raise :class:`GuardError` with every finding when ``on_violation`` is ``error``."""
    if report.findings and guards.on_violation == "error":
        lines = "\n".join(f"  - {f.message}" for f in report.findings)
        raise GuardError(f"the resolution is refused by dedup.guards:\n{lines}")
