"""The audience plan file (YAML): fields, audiences with their rules, channels and priorities,
suppression lists, frequency caps per channel, and the exports.

::

    fields: {churn_probability: number}        # beside the default profile fields
    suppression_lists: {complaints: suppress.csv}
    frequency_caps: {email: {max: 2, days: 7}}
    audiences:
      - name: winback
        channels: [email, push]
        priority: 1                            # lower runs first in the waterfall
        exclusive: true                        # its members are taken out of later audiences
        suppress: [complaints]
        rule: {field: recency_days, between: [90, 365]}
    exports:
      - {name: winback_email, audience: winback, channel: email, target: csv, path: winback.csv}

Every error names its path (``audiences[2].rule.and[1].between: ...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cible.activation.rules import FieldCatalogue, FieldKind, Rule, parse_rule
from cible.exceptions import RuleError

Channel = Literal["email", "sms", "push", "ads"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "push", "ads")
Target = Literal["csv", "parquet", "webhook", "hubspot", "sfmc"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FrequencyCap(_Model):
    """At most ``max`` contacts of a customer on the channel in any ``days`` days."""

    max: int = Field(ge=1)
    days: int = Field(ge=1)


class Audience(_Model):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    channels: tuple[Channel, ...] = Field(min_length=1)
    priority: int = 100
    exclusive: bool = False
    suppress: tuple[str, ...] = ()
    rule: Rule


class ExportSpec(_Model):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    audience: str
    channel: Channel
    target: Target
    mode: Literal["full", "delta"] = "delta"
    pseudonymise: bool = False
    fields: tuple[str, ...] = ()
    path: Path | None = None  # csv, parquet
    url: str | None = None  # webhook, hubspot, sfmc (base URL)
    list_id: str | None = None  # hubspot
    key: str | None = None  # sfmc data extension external key
    batch_size: int = Field(default=500, ge=1)


class AudiencePlan(_Model):
    fields: dict[str, FieldKind] = {}
    suppression_lists: dict[str, Path] = {}
    frequency_caps: dict[Channel, FrequencyCap] = {}
    audiences: tuple[Audience, ...]
    exports: tuple[ExportSpec, ...] = ()

    def audience(self, name: str) -> Audience:
        for a in self.audiences:
            if a.name == name:
                return a
        raise RuleError("audience", f"no audience {name!r} (known: {self.names()})")

    def export(self, name: str) -> ExportSpec:
        for e in self.exports:
            if e.name == name:
                return e
        known = ", ".join(e.name for e in self.exports)
        raise RuleError("exports", f"no export {name!r} (known: {known})")

    def names(self) -> str:
        return ", ".join(a.name for a in self.audiences)


def parse_plan(data: Any, base: Path | None = None) -> AudiencePlan:
    """The plan written by ``data`` (parsed YAML); relative paths are read from ``base``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("audiences"), list):
        raise RuleError("audiences", "the plan needs a non-empty list 'audiences'")
    fields = _validated(_FieldsSection, {"fields": data.get("fields") or {}}, "").fields
    catalogue = FieldCatalogue(fields)
    audiences = []
    for i, raw in enumerate(data["audiences"]):
        path = f"audiences[{i}]"
        if not isinstance(raw, Mapping) or "rule" not in raw:
            raise RuleError(path, "an audience is a mapping with name, channels and rule")
        rule = parse_rule(raw["rule"], f"{path}.rule", catalogue)
        audiences.append(_validated(Audience, {**raw, "rule": rule}, path))
    rest = {k: v for k, v in data.items() if k != "audiences"}
    plan = _validated(AudiencePlan, {**rest, "audiences": audiences}, "")
    _check_references(plan)
    if base is not None:
        lists = {k: p if p.is_absolute() else base / p for k, p in plan.suppression_lists.items()}
        plan = plan.model_copy(update={"suppression_lists": lists})
    return plan


class _FieldsSection(_Model):
    fields: dict[str, FieldKind]


def _validated(model: type[Any], data: Any, path: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        where = f"{path}{loc}".lstrip(".") or "plan"
        raise RuleError(where, err["msg"]) from None


def _check_references(plan: AudiencePlan) -> None:
    names = [a.name for a in plan.audiences]
    for i, a in enumerate(plan.audiences):
        if names.index(a.name) != i:
            raise RuleError(f"audiences[{i}].name", f"audience {a.name!r} is defined twice")
        for j, s in enumerate(a.suppress):
            if s not in plan.suppression_lists:
                raise RuleError(f"audiences[{i}].suppress[{j}]", f"no suppression list {s!r}")
    for i, e in enumerate(plan.exports):
        if e.audience not in names:
            raise RuleError(f"exports[{i}].audience", f"no audience {e.audience!r}")
        if e.channel not in plan.audience(e.audience).channels:
            raise RuleError(
                f"exports[{i}].channel", f"audience {e.audience!r} is not mapped to {e.channel}"
            )
        needed = {
            "csv": "path",
            "parquet": "path",
            "webhook": "url",
            "hubspot": "list_id",
            "sfmc": "key",
        }
        if getattr(e, needed[e.target]) is None:
            raise RuleError(f"exports[{i}]", f"target {e.target} needs '{needed[e.target]}'")
        if e.target in ("hubspot", "sfmc") and e.url is None:
            raise RuleError(f"exports[{i}]", f"target {e.target} needs 'url' (the API base URL)")
