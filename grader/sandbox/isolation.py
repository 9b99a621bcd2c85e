"""Choosing the isolation level: ``auto`` (the strongest that works here), ``process`` or ``sandbox``.

``choose_launcher(level)`` returns a launcher for ``engine.grade(..., launcher=...)``. ``sandbox``
is probed by actually starting a trivial sandboxed Python that imports numpy (bubblewrap can be
installed and still blocked: Ubuntu 24.04's AppArmor user-namespace restriction, Docker's default
seccomp profile); the probe runs once per process, and a success is remembered on disk for a day
(probe_cache.py). ``auto`` falls back to
``process`` when the probe fails and keeps the reason (``fallback_reason``), which the commands
print. Every result records ``launcher.level``, the level actually used.

For the command line: ``launcher_option`` adds ``--isolation`` to a click command and
``resolve_cli(level, bulk=...)`` turns it into a launcher, printing the warnings (prominent for
``rnngrade grade``). For bulk slots, ``process_launcher``/``sandbox_launcher`` are zero-argument
factories (``"grader.sandbox.isolation:sandbox_launcher"``) that a slot process calls once: each
claims its own uid (see ``uids.py``), and ``launcher.for_slot(i)`` picks one explicitly.
"""

from __future__ import annotations

import functools
import os
import threading

LEVELS = ("auto", "process", "sandbox")

_lock = threading.Lock()


class IsolationUnavailable(Exception):
    """The requested level cannot run on this machine (the message says why and what to do)."""


@functools.lru_cache(maxsize=None)
def sandbox_probe() -> str:
    """'' when a bubblewrap sandbox works here, else the reason (probed once per process, and a success
    remembered for a day under a key of everything it depends on: grader/sandbox/probe_cache.py)."""
    from . import probe_cache
    from .bwrap import SandboxLauncher

    launcher = SandboxLauncher()
    try:
        if probe_cache.known_good(launcher.bwrap):
            return ""
        reason = launcher.probe()
        if not reason:
            probe_cache.remember_good(launcher.bwrap)
        return reason
    finally:
        launcher.close()


def process_launcher(slot: int | None = None):
    from .uids import SlotProcessLauncher

    return SlotProcessLauncher(slot=slot)


def sandbox_launcher(slot: int | None = None):
    from .bwrap import SandboxLauncher

    return SandboxLauncher(slot=slot)


_cache: dict = {}


def choose_launcher(level: str = "auto", slot: int | None = None):
    """A launcher for ``level`` (cached per process and slot). ``auto``: sandbox if it works, else
    process, with ``fallback_reason`` set. Raises ``IsolationUnavailable`` for an explicit
    ``sandbox`` that cannot run here."""
    if level not in LEVELS:
        raise ValueError(f"unknown isolation level {level!r}; choose one of {', '.join(LEVELS)}")
    with _lock:
        key = (level, slot)
        if key in _cache:
            return _cache[key]
        reason = ""
        if level in ("auto", "sandbox"):
            reason = sandbox_probe()
            if not reason:
                launcher = sandbox_launcher(slot)
            elif level == "sandbox":
                raise IsolationUnavailable(f"the sandbox level cannot run here: {reason}")
            else:
                launcher = process_launcher(slot)
        else:
            launcher = process_launcher(slot)
        launcher.requested = level
        launcher.fallback_reason = reason if level == "auto" and launcher.level != "sandbox" else ""
        _cache[key] = launcher
        return launcher


def choose_in_background(level: str = "auto", slot: int | None = None) -> threading.Thread:
    """Start ``choose_launcher`` (the sandbox probe: a sandboxed Python importing numpy, ~160 ms spent
    waiting on a subprocess) in a daemon thread, so the caller can import the checks meanwhile; a later
    ``choose_launcher``/``resolve_cli`` call waits for it and reuses its result (or raises its error)."""

    def run():
        try:
            choose_launcher(level, slot)
        except Exception:  # noqa: BLE001 - the caller's own choose_launcher call raises it again
            pass

    thread = threading.Thread(target=run, name="rnngrade-isolation-probe", daemon=True)
    thread.start()
    return thread


INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`) "
                "and allow unprivileged user namespaces (Ubuntu 24.04: an AppArmor profile for bwrap, or "
                "`sysctl kernel.apparmor_restrict_unprivileged_userns=0`; Docker: `--security-opt seccomp=unconfined`)")


def weak_isolation_warning(launcher) -> str:
    """The text to show when only ``process`` is used (empty when the sandbox is in use)."""
    if getattr(launcher, "level", "") == "sandbox":
        return ""
    why = getattr(launcher, "fallback_reason", "") or "--isolation process was chosen"
    note = launcher.describe() if hasattr(launcher, "describe") else "process"
    return (f"only the `process` isolation level is in use ({why}). Student code then runs in a separate process "
            f"with resource limits [{note}], but it can read every world-readable file (including the reference "
            f"solution and the grader), use the network and see other processes. To grade with the bubblewrap "
            f"sandbox, {INSTALL_HINT}.")


def launcher_option(func=None, *, default: str = "auto"):
    """``@launcher_option`` on a click command adds ``--isolation auto|process|sandbox`` (``isolation``)."""
    import click

    decorator = click.option(
        "--isolation", type=click.Choice(LEVELS), default=os.environ.get("RNNGRADE_ISOLATION", default),
        show_default=True,
        help="How student code is contained: sandbox (bubblewrap: own namespaces, sees only Python, numpy and the "
             "submission), process (separate process, limits, own uid when root), auto (the strongest that works "
             "here). Every result records the level used.")
    return decorator(func) if func is not None else decorator


def resolve_cli(level: str, bulk: bool = False):
    """The launcher for a command's ``--isolation``; prints the warnings; exits 2 when impossible."""
    import sys

    import click

    try:
        launcher = choose_launcher(level)
    except IsolationUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo(f"hint: {INSTALL_HINT}; or pass --isolation process", err=True)
        sys.exit(2)
    warning = weak_isolation_warning(launcher)
    if warning and (bulk or level == "auto"):
        if bulk:
            bar = "!" * 78
            click.secho(bar, fg="red", bold=True, err=True)
            click.secho("WARNING: " + warning, fg="red", bold=True, err=True)
            click.secho(bar, fg="red", bold=True, err=True)
        else:
            click.secho("warning: " + warning, fg="yellow", err=True)
    return launcher
