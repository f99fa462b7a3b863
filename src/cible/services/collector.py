"""The Segment-spec collector: Segment / RudderStack messages mapped onto cible's events and
customers, and applied through the same store calls as ``POST /v1/events``.

=========  ===============================================================================
message    what it becomes
=========  ===============================================================================
track      one event; ``event`` mapped by :data:`TRACK_TYPES` (Segment's e-commerce, e-mail
           and lifecycle spec names) or already a cible event type (``page_view``, ...)
page       a ``page_view`` event (channel ``web``)
screen     a ``page_view`` event (channel ``app``)
identify   the customer record from ``traits`` (RudderStack: ``context.traits``; merged
           over the stored one), and the
           anonymousId stitched to the userId
group      the customer's ``organisation`` (``traits.name``, else the groupId)
alias      ``previousId`` stitched to ``userId``
=========  ===============================================================================

An event's customer is its ``userId``, else its ``anonymousId``; once an anonymousId is stitched
to a userId (identify, alias), its past events are folded into the userId's profile and its later
events land there (:meth:`cible.store.ProfileStore.stitch_identities`). The event id is the
message's ``messageId`` (the SDKs set one; a message without it gets a digest of its content, so
a retried message is still a duplicate). A message that cannot be mapped is rejected on its own
with its field and reason; the others of its batch are applied.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from cible.exceptions import InvalidInputError
from cible.schemas.events import EVENT_TYPES

if TYPE_CHECKING:
    from cible.services.live import LiveService
    from cible.store import CustomerRecord, LiveEvent, MembershipChange

MessageType = Literal["track", "identify", "page", "screen", "group", "alias"]
MESSAGE_TYPES: tuple[MessageType, ...] = ("track", "identify", "page", "screen", "group", "alias")
SOURCE = "collector"
MAX_BODY = 8 * 1024 * 1024  # decompressed bytes of one request (Segment allows 500 KB a batch)

# Segment spec event names (e-commerce v2, e-mail, mobile, B2B SaaS) -> cible event types
TRACK_TYPES = {
    "order completed": "purchase",
    "order refunded": "refund",
    "product viewed": "product_view",
    "product added": "cart_add",
    "product removed": "cart_remove",
    "checkout started": "checkout",
    "products searched": "search",
    "signed up": "signup",
    "signed in": "login",
    "email delivered": "email_sent",
    "email opened": "email_open",
    "email link clicked": "email_click",
    "push notification tapped": "push_open",
    "sms delivered": "sms_sent",
    "sms link clicked": "sms_click",
}
# identify traits (Segment's reserved names, camelCase and snake_case) -> customer fields
TRAITS = {
    "email": "email",
    "phone": "phone",
    "firstName": "first_name",
    "first_name": "first_name",
    "lastName": "last_name",
    "last_name": "last_name",
    "birthday": "birth_date",
    "gender": "gender",
    "createdAt": "created_at",
    "created_at": "created_at",
    "company": "organisation",
}
CUSTOMER_FIELDS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "city",
    "postal_code",
    "country",
    "organisation",
    "address_line",
    "consent_email",
    "consent_sms",
    "consent_push",
)
ADDRESS = {
    "city": "city",
    "postalCode": "postal_code",
    "country": "country",
    "street": "address_line",
}


class MessageError(ValueError):
    """A message that cannot be mapped: the field at fault and the rule."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class MessageOutcome:
    index: int
    message_id: str | None
    status: Literal["applied", "duplicate", "rejected"]
    field: str | None = None
    reason: str | None = None


@dataclass
class Mapped:
    """A batch's messages mapped: events, customer records (merged over the stored ones) and
    the (merged id, survivor) pairs to stitch, each with its message's index."""

    events: list[tuple[int, LiveEvent]] = field(default_factory=list)
    customers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    stitches: list[tuple[int, tuple[str, str]]] = field(default_factory=list)
    rejected: dict[int, MessageOutcome] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectOutcome:
    results: list[MessageOutcome]
    changes: list[MembershipChange] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def read_body(raw: bytes, encoding: str | None, limit: int = MAX_BODY) -> Any:
    """The JSON of a request body, gunzipped when ``Content-Encoding: gzip`` (what the SDKs
    send); an InvalidInputError naming the rule otherwise (bad gzip, too large, not JSON)."""
    enc = (encoding or "identity").strip().lower()
    if enc == "gzip":
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflate.decompress(raw, limit + 1)
        except zlib.error as e:
            raise InvalidInputError(
                "body", f"Content-Encoding gzip but not gzip data ({e})"
            ) from None
        if len(raw) > limit or inflate.unconsumed_tail:
            raise InvalidInputError("body", f"more than {limit:,} bytes once decompressed")
    elif enc != "identity":
        raise InvalidInputError("Content-Encoding", f"{enc!r} is not supported (gzip or none)")
    if len(raw) > limit:
        raise InvalidInputError("body", f"more than {limit:,} bytes")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidInputError("body", f"not a UTF-8 JSON document ({type(e).__name__})") from None


def gzip_json(body: Any) -> bytes:
    """``body`` as gzipped JSON (what the SDKs send; for tests and the bench)."""
    return gzip.compress(json.dumps(body).encode("utf-8"))


def batch_messages(body: Any) -> list[Any]:
    """The messages of a ``/v1/batch`` body (``{"batch": [...]}``)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("batch"), list):
        raise InvalidInputError("batch", 'a JSON object {"batch": [messages]} is expected')
    return list(body["batch"])


def _text(msg: Mapping[str, Any], name: str) -> str | None:
    value = msg.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MessageError(name, f"a string is expected, got {type(value).__name__}")
    return str(value)


def customer_of(msg: Mapping[str, Any]) -> str:
    """The message's customer: its userId, else its anonymousId."""
    who = _text(msg, "userId") or _text(msg, "anonymousId")
    if who is None:
        raise MessageError("userId", "a message needs a userId or an anonymousId")
    return who


def message_id(msg: Mapping[str, Any]) -> str:
    """The messageId, else a digest of the message's content (stable across retries)."""
    given = _text(msg, "messageId")
    if given is not None:
        return given
    canonical = json.dumps(msg, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _timestamp(msg: Mapping[str, Any], now: datetime) -> Any:
    for name in ("timestamp", "originalTimestamp"):
        if msg.get(name):
            return msg[name]
    return now


def event_type_of(kind: str, msg: Mapping[str, Any]) -> str:
    if kind in ("page", "screen"):
        return "page_view"
    name = _text(msg, "event")
    if name is None:
        raise MessageError("event", "a track message needs an event name")
    mapped = TRACK_TYPES.get(name.strip().lower())
    if mapped is not None:
        return mapped
    snake = name.strip().lower().replace(" ", "_").replace("-", "_")
    if snake in EVENT_TYPES:
        return snake
    raise MessageError(
        "event",
        f"{name!r} is neither a Segment spec event ({', '.join(sorted(TRACK_TYPES))}) "
        f"nor a cible event type ({', '.join(EVENT_TYPES)})",
    )


def _amount(event_type: str, props: Mapping[str, Any]) -> Any:
    for name in ("revenue", "total", "value", "price"):
        value = props.get(name)
        if value is not None and not isinstance(value, bool):
            if event_type != "refund":
                return value
            try:
                return -abs(float(value))
            except (TypeError, ValueError):
                raise MessageError(f"properties.{name}", "a number is expected") from None
    return None


def to_event(kind: str, msg: Mapping[str, Any], now: datetime) -> LiveEvent:
    """The cible event of a track, page or screen message."""
    from cible.store import InvalidEvent, LiveEvent

    props = msg.get("properties") or {}
    context = msg.get("context") or {}
    if not isinstance(props, Mapping) or not isinstance(context, Mapping):
        raise MessageError("properties", "properties and context must be JSON objects")
    event_type = event_type_of(kind, msg)
    device = _object(context.get("device"))
    location = _object(context.get("location"))
    extra = {k: v for k, v in props.items() if k not in ("revenue", "total", "order_id")}
    if kind in ("page", "screen") and msg.get("name"):
        extra["name"] = msg["name"]
    if kind == "track":
        extra["event"] = msg.get("event")
    body = {
        "event_id": message_id(msg),
        "customer_id": customer_of(msg),
        "source": SOURCE,
        "event_type": event_type,
        "timestamp": _timestamp(msg, now),
        "order_id": _str_or_none(props.get("order_id")),
        "amount": _amount(event_type, props) if event_type in ("purchase", "refund") else None,
        "currency": _str_or_none(props.get("currency")),
        "product_id": _str_or_none(props.get("product_id") or props.get("sku")),
        "category": _str_or_none(props.get("category")),
        "channel": "app" if kind == "screen" else _str_or_none(context.get("channel")) or "web",
        "device": _str_or_none(device.get("type")),
        "location": _str_or_none(location.get("country")),
        "properties": extra,
    }
    try:
        return LiveEvent.parse(body)
    except InvalidEvent as e:
        raise MessageError(str(e.field), str(e.reason)) from None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def traits_fields(kind: str, msg: Mapping[str, Any]) -> dict[str, Any]:
    """The customer fields an identify (traits) or group (organisation) message sets."""
    traits = msg.get("traits")
    if traits is None:  # RudderStack's SDKs put an identify's traits in context.traits
        context = msg.get("context")
        traits = context.get("traits") if isinstance(context, Mapping) else None
    traits = traits or {}
    if not isinstance(traits, Mapping):
        raise MessageError("traits", "traits must be a JSON object")
    if kind == "group":
        return {"organisation": _str_or_none(traits.get("name")) or _text(msg, "groupId")}
    fields = {
        target: traits[name] for name, target in TRAITS.items() if traits.get(name) is not None
    }
    # cible's own field names (CRM webhooks, RudderStack's snake_case traits) are taken as-is
    fields |= {n: traits[n] for n in CUSTOMER_FIELDS if traits.get(n) is not None}
    address = traits.get("address")
    if isinstance(address, Mapping):
        fields |= {t: address[n] for n, t in ADDRESS.items() if address.get(n) is not None}
    return fields


def _record(
    customer_id: str, stored: Mapping[str, Any], fields: Mapping[str, Any]
) -> CustomerRecord:
    from pydantic import ValidationError

    from cible.store import CustomerRecord

    body = {k: v for k, v in stored.items() if k in CustomerRecord.model_fields and v is not None}
    body |= {"customer_id": customer_id, "source": SOURCE, **fields}
    try:
        return CustomerRecord.model_validate(body)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "traits"
        raise MessageError(f"traits.{where}", str(first["msg"])) from None


def map_messages(messages: Sequence[Any], now: datetime, default: str | None = None) -> Mapped:
    """Each message mapped on its own (``default``: the type of a single-message route)."""
    mapped = Mapped()
    for i, msg in enumerate(messages):
        try:
            if not isinstance(msg, Mapping):
                raise MessageError("$", f"a JSON object is expected, got {type(msg).__name__}")
            kind = msg.get("type") or default
            if kind not in MESSAGE_TYPES or (default is not None and kind != default):
                allowed = default or ", ".join(MESSAGE_TYPES)
                raise MessageError("type", f"{kind!r} is not a message type here ({allowed})")
            _map_one(mapped, i, kind, msg, now)
        except MessageError as e:
            mid = msg.get("messageId") if isinstance(msg, Mapping) else None
            mapped.rejected[i] = MessageOutcome(
                i, mid if isinstance(mid, str) else None, "rejected", e.field, e.reason
            )
    return mapped


def _map_one(mapped: Mapped, i: int, kind: str, msg: Mapping[str, Any], now: datetime) -> None:
    if kind in ("track", "page", "screen"):
        mapped.events.append((i, to_event(kind, msg, now)))
        return
    if kind == "alias":
        previous, user = _text(msg, "previousId"), _text(msg, "userId")
        if previous is None or user is None:
            raise MessageError("previousId", "an alias message needs a previousId and a userId")
        mapped.stitches.append((i, (previous, user)))
        return
    user, anonymous = _text(msg, "userId"), _text(msg, "anonymousId")
    customer = customer_of(msg)
    fields = traits_fields(kind, msg)
    _, earlier = mapped.customers.get(customer, (i, {}))
    mapped.customers[customer] = (i, {**earlier, **fields})
    if kind == "identify" and user is not None and anonymous is not None:
        mapped.stitches.append((i, (anonymous, user)))


def collect(
    live: LiveService, messages: Sequence[Any], default: str | None = None
) -> CollectOutcome:
    """Map ``messages`` and apply them: customer records first, then the events (one
    transaction, as ``POST /v1/events/batch``), then the stitches (events sent before an
    identify end up on its userId whatever their order in the batch)."""
    if len(messages) > live.batch_max:
        raise InvalidInputError(
            "batch", f"{len(messages):,} messages in one batch; at most {live.batch_max:,}"
        )
    now = datetime.now(UTC)
    mapped = map_messages(messages, now, default)
    outcomes: dict[int, MessageOutcome] = dict(mapped.rejected)
    touched: set[str] = set()
    if mapped.customers:
        stored = live.store.customer_records(list(mapped.customers))
        records = []
        for cid, (i, fields) in mapped.customers.items():
            try:
                records.append(_record(cid, stored.get(cid, {}), fields))
            except MessageError as e:
                outcomes[i] = MessageOutcome(
                    i, message_id(messages[i]), "rejected", e.field, e.reason
                )
        live.store.upsert_customers(records)
        touched |= {r.customer_id for r in records}
    changes: list[MembershipChange] = []
    if mapped.events:
        result = live.store.apply_events([ev for _, ev in mapped.events])
        changes += result.changes
        fresh = set(result.applied_event_ids)
        for i, ev in mapped.events:
            status: Literal["applied", "duplicate"] = (
                "applied" if ev.event_id in fresh else "duplicate"
            )
            fresh.discard(ev.event_id)
            outcomes[i] = MessageOutcome(i, ev.event_id, status)
        touched |= {ev.customer_id for _, ev in mapped.events} | set(result.touched)
    if mapped.stitches:
        stitched = live.store.stitch_identities([pair for _, pair in mapped.stitches])
        changes += stitched.changes
        for i, (merged, _) in mapped.stitches:
            if merged in stitched.refused and i not in outcomes:
                where = "previousId" if messages[i].get("type") == "alias" else "anonymousId"
                reason = stitched.refused[merged]
                outcomes[i] = MessageOutcome(i, message_id(messages[i]), "rejected", where, reason)
        touched |= {i for pair in stitched.merged.items() for i in pair}
    for i, msg in enumerate(messages):
        if i not in outcomes:
            outcomes[i] = MessageOutcome(i, message_id(msg), "applied")
    live.changed(touched)
    return CollectOutcome([outcomes[i] for i in range(len(messages))], changes)
