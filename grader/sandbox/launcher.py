"""How a worker process is started: the one place where isolation layers slot in.

A launcher turns "run this worker script on that submission" into an argv, an environment and
a working directory. ``ProcessLauncher`` is the baseline level (``process``): a separate
interpreter in isolated mode (``python -I``), a scrubbed environment, a fresh temporary working
directory and rlimits applied by the worker before any student code runs. Stronger levels
(bubblewrap, one uid per slot) wrap the same command and report a different ``level``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..memtune import WORKER_ENV

WORKER_SCRIPT = Path(__file__).with_name("worker.py")

# Variables that change numerical results or correctness on some CPUs are kept; everything else
# (tokens, paths to the instructor's files, PYTHON* hooks) is dropped.
_KEPT_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")

GRADER_PACKAGES = ("grader", "reference", "exercises")  # never importable by a submission
DEFAULT_BLOCKED_IMPORTS = ("torch", "jax", "jaxlib", "tensorflow", "autograd") + GRADER_PACKAGES


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits (see docs/limits.md for how they were chosen)."""

    call_seconds: float = 5.0
    import_seconds: float = 10.0
    cpu_seconds: int = 120
    memory_mb: int = 2048
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 64
    output_kept_bytes: int = 64 * 1024
    output_kill_bytes: int = 16 * 1024 * 1024

    def rlimits(self) -> dict:
        keys = ("cpu_seconds", "memory_mb", "file_size_mb", "open_files", "processes")
        return {k: v for k, v in asdict(self).items() if k in keys}


@dataclass(frozen=True)
class WorkerConfig:
    student_dir: str
    module_file: str
    module_name: str
    workdir: str
    limits: Limits = field(default_factory=Limits)
    blocked_imports: tuple[str, ...] = DEFAULT_BLOCKED_IMPORTS

    def to_json(self) -> str:
        return json.dumps(
            {
                "student_dir": self.student_dir,
                "module_file": self.module_file,
                "module_name": self.module_name,
                "workdir": self.workdir,
                "limits": self.limits.rlimits(),
                "blocked_imports": list(self.blocked_imports),
            }
        )


class ProcessLauncher:
    """Isolation level ``process``: separate interpreter, scrubbed env, rlimits, temp cwd."""

    level = "process"

    def command(self, config: WorkerConfig) -> tuple[list[str], dict[str, str], str]:
        env = {k: os.environ[k] for k in _KEPT_ENV if k in os.environ}
        env.update(
            PATH="/usr/bin:/bin",
            HOME=config.workdir,
            TMPDIR=config.workdir,
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            PYTHONHASHSEED="0",
            PYTHONIOENCODING="utf-8",
            **WORKER_ENV,  # large arrays from the heap, not a fresh mmap each (grader/memtune.py)
        )
        argv = [sys.executable, "-I", "-B", str(WORKER_SCRIPT), config.to_json()]
        return argv, env, config.workdir

    # ------------------------------------------------------------ forked workers (grader/sandbox/template.py)

    def fork_worker(self, config: WorkerConfig):
        """A worker forked from this launcher's preloaded template, or None: then the caller spawns one.

        The template is started on first use with this launcher's own command (interpreter, flags,
        environment, descriptors), so a forked worker runs exactly the code a spawned one would.
        """
        from . import template as tpl

        # the first worker of a launcher is spawned: a template only pays off from the second one on (a
        # restart after a crash, the next submission of a bulk slot), and `check` usually needs one worker
        self._workers = getattr(self, "_workers", 0) + 1
        if (self._workers < 2 and not tpl.from_first_worker()) or not tpl.enabled() or getattr(self, "_template_broken", False):
            return None
        argv, env, _cwd = self.command(config)
        extra = self.popen_kwargs(config) if hasattr(self, "popen_kwargs") else {}
        keep = tuple(extra.get("pass_fds", ()))
        base_env = {k: v for k, v in env.items() if k not in ("HOME", "TMPDIR")}
        key = (tuple(argv[:-1]), tuple(sorted(base_env.items())), keep)
        current = getattr(self, "_template", None)
        if current is not None and (getattr(self, "_template_key", None) != key or not current.alive()):
            current.close()
            current = None
        if current is None:
            try:
                current = tpl.Template(argv[:-1], dict(base_env, HOME="/", TMPDIR="/tmp"), pass_fds=keep)
            except tpl.TemplateError:
                self._template_broken = True  # this launcher spawns from now on
                self._template = None
                return None
            self._template, self._template_key = current, key
        try:
            return tpl.fork_worker(current, config, env, extra.get("user"), extra.get("group"), keep)
        except tpl.TemplateError:
            current.close()
            self._template = None  # the next worker gets a new template; this one is spawned
            return None

    def close_template(self) -> None:
        current = getattr(self, "_template", None)
        if current is not None:
            current.close()
            self._template = None

    def close(self) -> None:
        self.close_template()
