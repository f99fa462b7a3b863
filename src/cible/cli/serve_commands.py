"""``cible serve`` (the REST service under uvicorn) and ``cible keys ...`` (API keys).

``cli/main.py`` merges :data:`serve_app` into the ``cible`` command (``app.add_typer``); this
module does not import ``cli.main`` (no import cycle).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from cible.cli.common import StoreOpt
from cible.cli.common import cible_errors as _errors
from cible.cli.common import console as _console

if TYPE_CHECKING:
    from cible.store import ProfileStore

SCOPE_NAMES = ("read", "write", "admin")

serve_app = typer.Typer()
keys_app = typer.Typer(
    help="API keys of the REST service (only a hash is stored).", no_args_is_help=True
)
serve_app.add_typer(keys_app, name="keys")


@serve_app.command("serve")
def serve(
    store: StoreOpt,
    host: Annotated[str, typer.Option(help="Interface to bind (0.0.0.0: every one).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes.")] = 1,
    online_store: Annotated[
        str | None,
        typer.Option(
            "--online-store",
            help="Redis (redis://host:6379/0) that GET profile reads first, SQL as fallback.",
            envvar="CIBLE_ONLINE_STORE_URL",
        ),
    ] = None,
) -> None:
    """Run the REST service (settings from CIBLE_* variables, see docs/api.md)."""
    import uvicorn

    from cible.config.service import load_service_settings
    from cible.store import ProfileStore

    console = _console()
    with _errors(console):
        settings = load_service_settings(store_url=store)
        # migrate once here, so that the workers do not race to run the migrations
        ProfileStore.open(
            settings.store_connect_url(),
            migrate=settings.store_migrate,
            schema=settings.store_schema,
        ).close()
        console.print(
            f"cible serve: store {settings.safe_url()}, http://{host}:{port}, "
            f"{workers} worker(s), environment={settings.environment}",
            soft_wrap=True,
        )
    os.environ["CIBLE_STORE_URL"] = store
    os.environ["CIBLE_STORE_MIGRATE"] = "false"
    if online_store:
        os.environ["CIBLE_ONLINE_STORE_URL"] = online_store
    uvicorn.run(
        "cible.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        log_level=settings.log_level,
    )


def _open(store: str) -> ProfileStore:
    """The store at ``store`` with the CIBLE_STORE_* settings (password, schema) applied."""
    from cible.config.service import load_service_settings
    from cible.store import ProfileStore

    settings = load_service_settings(store_url=store)
    return ProfileStore.open(settings.store_connect_url(), schema=settings.store_schema)


def _scope(value: list[str]) -> list[str]:
    bad = [s for s in value if s not in SCOPE_NAMES]
    if bad:
        raise typer.BadParameter(f"unknown scope(s) {bad}; allowed: {', '.join(SCOPE_NAMES)}")
    return value


@keys_app.command("create")
def keys_create(
    store: StoreOpt,
    scope: Annotated[
        list[str],
        typer.Option("--scope", callback=_scope, help="read, write or admin; repeat for several."),
    ],
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
) -> None:
    """Create an API key and print it once (the store keeps only its hash)."""
    console = _console()
    with _errors(console):
        opened = _open(store)
        try:
            key = opened.create_api_key(sorted(set(scope)), name=name)
        finally:
            opened.close()
    console.print(f"scopes: {', '.join(sorted(set(scope)))}  (shown once; keep it secret)")
    print(key)


@keys_app.command("revoke")
def keys_revoke(
    store: StoreOpt,
    key: Annotated[
        str | None,
        typer.Argument(help="The key to revoke (as printed by `keys create`)."),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="Revoke by the prefix that `keys list` shows instead."),
    ] = None,
) -> None:
    """Revoke an API key: running services refuse it within CIBLE_KEY_CACHE_TTL_S seconds."""
    console = _console()
    if (key is None) == (prefix is None):
        console.print("[bold red]error:[/bold red] give either the key or --prefix, not both")
        raise typer.Exit(code=2)
    with _errors(console):
        opened = _open(store)
        try:
            done = (
                opened.revoke_api_key(key)
                if key is not None
                else opened.revoke_api_key_prefix(str(prefix))
            )
        finally:
            opened.close()
    if not done:
        console.print("[bold red]error:[/bold red] no such key in this store (nothing revoked)")
        raise typer.Exit(code=2)
    console.print("revoked")


@keys_app.command("list")
def keys_list(store: StoreOpt) -> None:
    """List the keys of a store: prefix, name, scopes, creation time, revoked (never the key)."""
    from rich.table import Table

    console = _console()
    with _errors(console):
        opened = _open(store)
        try:
            found = opened.list_api_keys()
        finally:
            opened.close()
    table = Table("prefix", "name", "scopes", "created (UTC)", "status")
    for info in found:
        table.add_row(
            info.prefix,
            escape(info.name),
            ", ".join(info.scopes),
            info.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "revoked" if info.revoked else "active",
        )
    console.print(table)
    console.print(f"{len(found)} key(s)")
