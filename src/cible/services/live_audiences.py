"""Audiences kept live by the stream consumer: after each batch is applied, the rules of an
audience plan are evaluated in Python (:func:`cible.activation.evaluate`, by the waterfall of
:func:`cible.activation.waterfall.audiences_of`) on the stored profile of every customer of the
batch, and the store writes who entered or left each audience (``audience.entered`` /
``audience.exited``, one per channel of the audience) in its audience outbox.

Suppression lists are the plan's files, read once when the consumer starts (as ``cible audience``
reads them). Consent and frequency caps are not applied here: they belong to the exports, which
decide who is contacted on a channel; a notification says that the membership changed.

A rule "within the last N days" changes only when an event of the customer comes: time passing
without events is caught by the batch ``cible audience`` run, not by the stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cible.activation.evaluate import profile_values
from cible.activation.plan import AudiencePlan
from cible.activation.waterfall import audiences_of
from cible.services.audiences import load_plan, read_suppression

if TYPE_CHECKING:
    from cible.store import AudienceNotification, Profile, ProfileStore


class LiveAudiences:
    """The audiences of ``plan`` with its suppression lists loaded."""

    def __init__(self, plan: AudiencePlan) -> None:
        self.plan = plan
        self.suppression = {k: read_suppression(p) for k, p in plan.suppression_lists.items()}
        self.channels = {a.name: tuple(a.channels) for a in plan.audiences}

    @classmethod
    def from_file(cls, path: Path) -> LiveAudiences:
        return cls(load_plan(path))

    def members_of(self, profile: Profile, now: datetime) -> list[str]:
        """The audiences ``profile`` belongs to at ``now`` (waterfall order)."""
        values = profile_values(
            profile.features, profile.aggregates, profile.segment_id, profile.segment_name
        )
        held = [k for k, ids in self.suppression.items() if profile.customer_id in ids]
        return audiences_of(self.plan.audiences, values, now, held)

    def update(
        self, store: ProfileStore, customer_ids: Sequence[str], now: datetime
    ) -> list[AudienceNotification]:
        """Recompute the audiences of ``customer_ids`` at ``now`` in the store (one
        transaction); the outbox rows written, with their ids."""
        return store.update_audiences(
            customer_ids, lambda p: self.members_of(p, now), self.channels, now
        )
