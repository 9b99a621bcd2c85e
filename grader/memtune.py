"""Keep large buffers on the heap: the parent and the worker trade arrays of ~0.4 MB per call.

glibc serves an allocation above 128 KiB with a fresh ``mmap`` and gives it back with ``munmap``
when freed, so every large array that crosses the wire (the frame buffer, the bytes, the array)
pays page faults for each of its pages, several times per call, on both sides. In a VM a page fault
is expensive: a call carrying a training step's 0.4 MB took 1.8 ms, 0.7 ms with large blocks kept
on the heap (benchmarks: docs/performance.md). ``WORKER_ENV`` does this for a worker (glibc reads
it when the process starts); ``tune_this_process`` does it for the running grader through
``mallopt``. Elsewhere (musl, macOS) both are harmless no-ops.
"""

from __future__ import annotations

MMAP_THRESHOLD = 16 << 20  # below this, blocks come from the heap and are reused
TRIM_THRESHOLD = 64 << 20  # free heap kept before it is returned to the system

WORKER_ENV = {"GLIBC_TUNABLES": f"glibc.malloc.mmap_threshold={MMAP_THRESHOLD}:glibc.malloc.trim_threshold={TRIM_THRESHOLD}"}

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)


def tune_this_process() -> bool:
    """Raise this process's mmap and trim thresholds; True when glibc accepted both."""
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False
