"""Who one export run sends: the audience's members with consent for the channel, new members
under the channel's frequency cap, and the difference with the export's last run.

- a member without consent for the channel is never sent (no consent row is no consent);
- delta: ``entered`` = now in, not at the last run; ``left`` = at the last run, not now (a
  customer who withdrew consent leaves: the destination is told to remove them, by identifier
  only); members kept from the last run are not contacted again, so the cap counts new ones;
- full: every current member is sent (and contacted), nobody "leaves".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from cible.activation.plan import FrequencyCap
from cible.activation.waterfall import under_cap, with_consent


@dataclass(frozen=True)
class ExportPlan:
    current: frozenset[str]
    entered: frozenset[str]
    left: frozenset[str]
    without_consent: int
    capped: int


def plan_export(
    members: Collection[str],
    granted: Collection[str],
    previous: Collection[str],
    contacts: Mapping[str, int],
    cap: FrequencyCap | None,
    *,
    full: bool,
) -> ExportPlan:
    """The members, entered and left of one run (see the module)."""
    allowed = with_consent(members, granted)
    kept = frozenset() if full else allowed & frozenset(previous)
    new = allowed - kept
    sendable = under_cap(new, contacts, cap)
    current = kept | sendable
    entered = current if full else sendable
    left = frozenset() if full else frozenset(previous) - current
    return ExportPlan(
        current=current,
        entered=entered,
        left=left,
        without_consent=len(set(members)) - len(allowed),
        capped=len(new) - len(sendable),
    )
