"""The HTML report, rendered off the critical path of ``rnngrade check``.

Importing matplotlib (~0.35 s) and drawing the first figure (fonts, ~0.1 s) would otherwise be paid
after grading, while the student waits. ``BackgroundReport.start(path)`` forks a renderer at the
very beginning of the command (before any thread or worker exists): it imports matplotlib and
jinja2 and draws a throw-away figure while the parent grades, then waits for the results on a
pipe. ``submit(result)`` sends them as JSON (``GradeResult.to_json``, the same data the ``--json``
file holds: the renderer rebuilds the result with ``GradeResult.from_dict``, so the report is the
same bytes as one rendered in-process); the renderer draws while the parent prints the terminal
summary; ``finish(result)`` waits for it to write the file atomically (``write_html``).

The renderer is the grader's own process (a fork of the trusted CLI, before any submission was
loaded into a worker); it never sees anything but the JSON of the results. If it cannot be
started, dies or fails, ``finish`` renders in-process: the report exists, complete, whenever the
command returns normally. ``cancel()`` (usage errors) ends it without writing anything.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path


def _warm() -> None:
    """Import what rendering needs and draw one small figure (font loading, first-draw caches)."""
    from . import html, plots

    html._environment().get_template("report.html.j2")
    plots.loss_svg({"yours": [1.0, 0.5, 0.25], "reference": [1.0, 0.4, 0.2]}, 0.5, 0.6, 0.5)


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _figures(result, part: int, parts: int) -> dict:
    """{key: svg} of every ``parts``-th figure of the report, starting at ``part``."""
    from . import html, plots

    done = {}
    for call in plots.collect(lambda: html.report_view(result))[part::parts]:
        key, svg = plots.draw(call)
        if key is not None:
            done[key] = svg
    return done


def _helper(fd_in: int, fd_out: int) -> int:
    """A second renderer (forked after the warm-up): draws every other figure, sends them back as JSON."""
    data = _read_all(fd_in)
    if not data:
        return 3
    from ..results import GradeResult

    _write_all(fd_out, json.dumps(_figures(GradeResult.from_dict(json.loads(data)), 1, 2)).encode("utf-8"))
    return 0


def _fork_helper():
    """(pid, write end, read end) of a helper renderer, or None (then every figure is drawn here)."""
    try:
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        code = 1
        try:
            os.close(to_w)
            os.close(from_r)
            code = _helper(to_r, from_w)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(to_r)
    os.close(from_w)
    return pid, to_w, from_r


def _child(fd: int, path: str) -> int:
    try:
        # below the grading processes: the warm-up uses spare CPU, not theirs (on 2 cores it ran beside two
        # grading pipelines); once they are done and wait for the report, it has the machine to itself
        os.nice(10)
    except OSError:
        pass
    try:
        _warm()  # with the figure cache warm (figure_cache.py) this draws nothing and never imports matplotlib
    except Exception:  # noqa: BLE001 - a warm-up failure only costs time; rendering below reports for real
        pass
    helper = _fork_helper()  # figures are drawn by two processes: the grader's worker is gone by then
    data = _read_all(fd)
    os.close(fd)
    done: dict = {}
    try:
        if helper is not None:
            try:
                _write_all(helper[1], data)
            except OSError:
                pass
            os.close(helper[1])
        if not data:  # cancelled: the command ends without a report
            return 3
        from ..results import GradeResult
        from . import plots
        from .html import write_html

        result = GradeResult.from_dict(json.loads(data))
        done.update(_figures(result, 0, 2 if helper is not None else 1))
        if helper is not None:
            try:
                theirs = json.loads(_read_all(helper[2]) or b"{}")
                done.update({k: v for k, v in theirs.items() if isinstance(k, str) and (v is None or isinstance(v, str))})
            except (OSError, ValueError):
                pass  # whatever is missing is drawn below
        with plots.precomputed(done):
            write_html(result, path)
        return 0
    finally:
        if helper is not None:
            try:
                os.close(helper[2])
            except OSError:
                pass
            try:
                os.waitpid(helper[0], 0)
            except ChildProcessError:
                pass


class BackgroundReport:
    """A renderer process for one report; see the module docstring."""

    def __init__(self):
        self.pid: int | None = None
        self._wfd: int | None = None
        self._sent = False
        self.path: Path | None = None

    @classmethod
    def start(cls, path) -> "BackgroundReport":
        self = cls()
        self.path = Path(path)
        # fork only a single-threaded process: a lock held by another thread at fork time (an import lock, a
        # logging lock) would stay held forever in the child. Under pytest-xdist, say, rendering stays in-process.
        if os.environ.get("RNNGRADE_INLINE_REPORT") or not hasattr(os, "fork") or threading.active_count() != 1:
            return self  # renders in-process in finish()
        try:
            rfd, wfd = os.pipe()
        except OSError:
            return self
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError:
            os.close(rfd)
            os.close(wfd)
            return self
        if pid == 0:  # the renderer
            code = 1
            try:
                os.close(wfd)
                devnull = os.open(os.devnull, os.O_RDWR)  # never write to the user's terminal
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                code = _child(rfd, str(self.path))
            except BaseException:  # noqa: BLE001 - the parent notices the exit code and renders itself
                code = 1
            finally:
                os._exit(code)
        os.close(rfd)
        os.set_inheritable(wfd, False)
        self.pid, self._wfd = pid, wfd
        return self

    def _send(self, data: bytes) -> bool:
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._wfd, view)
                view = view[n:]
            return True
        except OSError:
            return False
        finally:
            os.close(self._wfd)
            self._wfd = None

    def _wait(self) -> int:
        pid, self.pid = self.pid, None
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                return -1
            except InterruptedError:
                continue

    def submit(self, result) -> None:
        """Hand the results to the renderer (which starts drawing while the parent prints the summary)."""
        if self.pid is not None and self._wfd is not None:
            self._sent = self._send(result.to_json(indent=None).encode("utf-8"))

    def finish(self, result) -> Path:
        """Wait until the report is written (rendered in-process if the renderer could not do it)."""
        if self.pid is not None:
            self.submit(result)
            if self._wait() == 0 and self._sent:
                return self.path
        from .html import write_html

        return write_html(result, self.path)

    def cancel(self) -> None:
        """End the renderer without a report (the command failed before there were results)."""
        if self._wfd is not None:
            os.close(self._wfd)
            self._wfd = None
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._wait()
