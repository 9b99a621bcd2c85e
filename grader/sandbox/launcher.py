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
        )
        argv = [sys.executable, "-I", "-B", str(WORKER_SCRIPT), config.to_json()]
        return argv, env, config.workdir
