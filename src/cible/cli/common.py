"""What several ``cible`` command modules share: the ``--store`` option, the console and the
mapping of a :class:`~cible.exceptions.CibleError` to its message and exit code 2.

It imports no other ``cli`` module, so every command module may import it (no cycle).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from cible.exceptions import CibleError

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        envvar="CIBLE_STORE_URL",
        help="Profile store: sqlite:///path/store.db or postgresql+psycopg://host:5432/db.",
    ),
]

OnlineUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--online-store",
        help="Redis URL of the online store copy (redis://host:6379/0) to update as well.",
        envvar="CIBLE_ONLINE_STORE_URL",
    ),
]
OnlinePrefixOpt = Annotated[
    str,
    typer.Option(
        "--online-prefix",
        "--prefix",
        help="Prefix of the online keys.",
        envvar="CIBLE_ONLINE_STORE_PREFIX",
    ),
]


def console() -> Console:
    """The console commands print to (stdout, no syntax highlighting of numbers and paths)."""
    return Console(stderr=False, highlight=False)


@contextmanager
def cible_errors(out: Console) -> Iterator[None]:
    """A cible error becomes its message and exit code 2 (as in ``cli.main``)."""
    try:
        yield
    except CibleError as e:
        out.print(f"[bold red]error:[/bold red] {escape(str(e))}", soft_wrap=True)
        raise typer.Exit(code=2) from e
