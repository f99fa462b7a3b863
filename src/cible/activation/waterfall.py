"""Who ends in which audience: priorities and exclusivity (the waterfall), suppression lists,
consent per channel and frequency caps.

Waterfall: audiences are taken by ``priority`` (lower first; ties in file order). A customer who
qualifies is a member unless an earlier *exclusive* audience already took them; an exclusive
audience takes its members out of every later one. Suppressed customers are removed before the
waterfall, so they take no place in an exclusive audience."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cible.activation.evaluate import evaluate
from cible.activation.plan import Audience, FrequencyCap


@dataclass(frozen=True)
class AudienceMembers:
    name: str
    qualified: int  # before suppression and the waterfall
    suppressed: int
    taken_earlier: int  # by an earlier exclusive audience
    members: frozenset[str]


def waterfall(
    audiences: Sequence[Audience],
    qualified: Mapping[str, Collection[str]],
    suppression: Mapping[str, Collection[str]],
) -> list[AudienceMembers]:
    """The members of each audience (in waterfall order) from who ``qualified`` for each."""
    order = sorted(range(len(audiences)), key=lambda i: (audiences[i].priority, i))
    taken: set[str] = set()
    out = []
    for i in order:
        a = audiences[i]
        ids = set(qualified.get(a.name, ()))
        blocked = set().union(*(set(suppression[s]) for s in a.suppress)) if a.suppress else set()
        kept = ids - blocked
        members = kept - taken
        if a.exclusive:
            taken |= members
        out.append(
            AudienceMembers(
                name=a.name,
                qualified=len(ids),
                suppressed=len(ids) - len(kept),
                taken_earlier=len(kept) - len(members),
                members=frozenset(members),
            )
        )
    return out


def with_consent(members: Collection[str], granted: Collection[str]) -> frozenset[str]:
    """The members who granted consent for the channel: no consent row is no consent."""
    return frozenset(set(members) & set(granted))


def under_cap(
    members: Collection[str], contacts: Mapping[str, int], cap: FrequencyCap | None
) -> frozenset[str]:
    """The members contacted fewer than ``cap.max`` times in the cap's window (``contacts``:
    the count per customer over the last ``cap.days`` days, kept in the store)."""
    if cap is None:
        return frozenset(members)
    return frozenset(m for m in members if contacts.get(m, 0) < cap.max)


def audiences_of(
    audiences: Sequence[Audience],
    profile: Mapping[str, Any],
    now: datetime,
    suppressed_in: Collection[str] = (),
) -> list[str]:
    """The audiences one customer belongs to, by the same waterfall as :func:`waterfall`: what
    a stream update recomputes for the customer it touched. ``suppressed_in`` names the
    suppression lists that hold the customer."""
    order = sorted(range(len(audiences)), key=lambda i: (audiences[i].priority, i))
    out = []
    for i in order:
        a = audiences[i]
        if set(a.suppress) & set(suppressed_in) or not evaluate(a.rule, profile, now):
            continue
        out.append(a.name)
        if a.exclusive:
            break
    return out
