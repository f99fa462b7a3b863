"""``cible export``: one export of a plan: audience members -> consent -> frequency cap -> delta
against the export's last run (kept in the profile store) -> the target -> the new state.

Nothing is recorded in the store until the target has accepted every record: a failed run is
retried whole, with the same idempotency keys (the run number only grows on success)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cible.activation.delta import plan_export
from cible.activation.exporters.connectors import hubspot_list, sfmc_rows
from cible.activation.exporters.files import write_csv, write_parquet
from cible.activation.exporters.http import RetryPolicy
from cible.activation.exporters.records import ExportBatch, build_batch
from cible.activation.exporters.webhook import post_webhook
from cible.activation.plan import AudiencePlan, ExportSpec
from cible.config.activation import ActivationSettings
from cible.services.audiences import AudienceOutcome, exported_fields
from cible.store import ProfileStore
from cible.store import exports as state


@dataclass(frozen=True)
class ExportResult:
    export_name: str
    target: str
    channel: str
    members: int
    entered: int
    left: int
    without_consent: int
    capped: int
    requests: int
    path: str | None


def run_export(
    plan: AudiencePlan,
    name: str,
    outcome: AudienceOutcome,
    store: ProfileStore,
    settings: ActivationSettings,
    *,
    base_dir: Path,
    client: Any = None,
    policy: RetryPolicy | None = None,
) -> ExportResult:
    """Run export ``name`` of ``plan`` on the audiences of ``outcome``; its typed result."""
    spec = plan.export(name)
    engine, now = store.engine, outcome.now
    cap = plan.frequency_caps.get(spec.channel)
    contacts = (
        state.contact_counts(engine, spec.channel, now - timedelta(days=cap.days)) if cap else {}
    )
    previous = state.previous_members(engine, spec.name)
    p = plan_export(
        outcome.members(spec.audience),
        state.granted(engine, spec.channel),
        previous,
        contacts,
        cap,
        full=spec.mode == "full",
    )
    secret = settings.secret() if spec.pseudonymise or spec.target == "webhook" else None
    batch = build_batch(
        export_name=spec.name,
        audience=spec.audience,
        channel=spec.channel,
        entered=p.entered,
        left=p.left,
        full=spec.mode == "full",
        fields=exported_fields(outcome.rows, spec.fields),
        secret=secret if spec.pseudonymise else None,
        run_number=len(state.runs(engine, spec.name)) + 1,
    )
    requests, path = _deliver(spec, batch, settings, secret, base_dir, client, policy)
    run = state.ExportRun(
        spec.name, spec.channel, spec.mode, now, len(p.current), len(p.entered), len(p.left)
    )
    state.record_run(engine, run, p.current - previous, previous - p.current, p.entered)
    return ExportResult(
        spec.name,
        spec.target,
        spec.channel,
        len(p.current),
        len(p.entered),
        len(p.left),
        p.without_consent,
        p.capped,
        requests,
        path,
    )


def _deliver(
    spec: ExportSpec,
    batch: ExportBatch,
    settings: ActivationSettings,
    secret: bytes | None,
    base_dir: Path,
    client: Any,
    policy: RetryPolicy | None,
) -> tuple[int, str | None]:
    if spec.target in ("csv", "parquet"):
        assert spec.path is not None
        path = spec.path if spec.path.is_absolute() else base_dir / spec.path
        (write_csv if spec.target == "csv" else write_parquet)(batch, path)
        return 0, str(path)
    import httpx

    own = client is None
    http = client or httpx.Client(timeout=30.0)
    try:
        assert spec.url is not None
        if spec.target == "webhook":
            assert secret is not None
            n = post_webhook(
                batch,
                spec.url,
                secret=secret,
                batch_size=spec.batch_size,
                client=http,
                policy=policy,
            )
        elif spec.target == "hubspot":
            n = hubspot_list(
                batch,
                spec.url,
                str(spec.list_id),
                token=settings.token("hubspot"),
                batch_size=spec.batch_size,
                client=http,
                policy=policy,
            )
        else:
            n = sfmc_rows(
                batch,
                spec.url,
                str(spec.key),
                token=settings.token("sfmc"),
                batch_size=spec.batch_size,
                client=http,
                policy=policy,
            )
    finally:
        if own:
            http.close()
    return n, None


def result_json(r: ExportResult, at: datetime) -> dict[str, Any]:
    return {**r.__dict__, "at": at.isoformat()}
