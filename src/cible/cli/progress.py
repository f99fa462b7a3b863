"""Rich progress bars for the services' :class:`~cible.services.progress.Progress` protocol."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.text import Text


class _CountColumn(ProgressColumn):
    """``12/40`` for a count, ``81.2/225.0 MB 40.1 MB/s`` for a task in bytes."""

    def __init__(self) -> None:
        super().__init__()
        self._count = MofNCompleteColumn()
        self._size = DownloadColumn()
        self._speed = TransferSpeedColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "bytes":
            return Text.assemble(self._size.render(task), " ", self._speed.render(task))
        return self._count.render(task)


class RichProgress:
    """One line per step: a bar when the step has a total, a spinner otherwise, then a tick."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            _CountColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._desc = ""
        self._t0 = 0.0

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def start(self, description: str, total: float | None = None, unit: str = "") -> None:
        if self._task is not None:
            self.done()
        # service text (file names included) is shown as written, never read as console markup
        self._desc, self._t0 = escape(description), time.perf_counter()
        self._task = self._bar.add_task(self._desc, total=total, unit=unit, note="")

    def advance(self, amount: float = 1.0) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)

    def update(self, completed: float, total: float) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=completed, total=total)

    def note(self, text: str) -> None:
        if self._task is not None:
            self._bar.update(self._task, note=escape(text))

    def done(self, summary: str = "") -> None:
        if self._task is None:
            return
        self._bar.remove_task(self._task)
        self._task = None
        extra = f" [dim]({escape(summary)})[/dim]" if summary else ""
        self.console.print(
            f"[green]✓[/green] {self._desc}{extra} [dim]{time.perf_counter() - self._t0:.1f}s[/dim]"
        )
