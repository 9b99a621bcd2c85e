"""Progress of a bulk run: a live bar on a terminal, plain periodic lines in logs (CI).

Both show the same numbers: done / total, failed (could not be loaded, timed out, or an
infrastructure error), remaining, rate (submissions per second since grading started) and ETA.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

FAILED = ("unloadable", "timeout", "infra_error")


class Tally:
    def __init__(self, total: int):
        self.total, self.done, self.failed = total, 0, 0
        self.started = time.monotonic()

    def add(self, status: str) -> None:
        self.done += 1
        self.failed += status in FAILED

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> str:
        if not self.remaining:
            return "0s"
        if self.rate <= 0:
            return "?"
        return fmt_duration(self.remaining / self.rate)


def fmt_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class PlainProgress:
    """One line every ``every`` seconds (and at the end): readable in a CI log."""

    def __init__(self, total: int, stream: TextIO | None = None, every: float = 5.0):
        self.tally, self.stream, self.every = Tally(total), stream or sys.stderr, every
        self._last = time.monotonic()

    def advance(self, status: str) -> None:
        self.tally.add(status)
        self.tick(force=self.tally.remaining == 0)

    def tick(self, force: bool = False) -> None:
        if force or time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        t = self.tally
        return (f"graded {t.done}/{t.total}  failed {t.failed}  remaining {t.remaining}  "
                f"{t.rate:.2f}/s  ETA {t.eta}")

    def close(self) -> None:
        pass


class NullProgress(PlainProgress):
    """Counts, prints nothing (``--progress none``)."""

    def __init__(self, total: int):
        super().__init__(total, every=float("inf"))

    def tick(self, force: bool = False) -> None:
        pass


class RichProgress:
    """A rich.progress bar with the same fields, redrawn in place."""

    def __init__(self, total: int, console=None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.tally = Tally(total)
        self.progress = Progress(
            TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
            TextColumn("failed [red]{task.fields[failed]}[/]  remaining {task.fields[remaining]}  "
                       "{task.fields[rate]}/s  ETA {task.fields[eta]}"),
            console=console, transient=False,
        )
        self.task = self.progress.add_task("grading", total=total, failed=0, remaining=total, rate="0.00", eta="?")
        self.progress.start()

    def advance(self, status: str) -> None:
        self.tally.add(status)
        self.tick()

    def tick(self, force: bool = False) -> None:
        t = self.tally
        self.progress.update(self.task, completed=t.done, failed=t.failed, remaining=t.remaining,
                             rate=f"{t.rate:.2f}", eta=t.eta)

    def close(self) -> None:
        self.tick()
        self.progress.stop()


def make_progress(total: int, mode: str = "auto", console=None, stream: TextIO | None = None):
    """``auto``: a bar when stderr is a terminal, plain lines otherwise; ``bar``/``plain``/``none`` force it."""
    stream = stream or sys.stderr
    if mode == "auto":
        mode = "bar" if stream.isatty() else "plain"
    if mode == "bar":
        return RichProgress(total, console)
    if mode == "none":
        return NullProgress(total)
    return PlainProgress(total, stream)
