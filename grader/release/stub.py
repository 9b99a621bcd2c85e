"""What stands in for the reference inside a student release bundle (which ships none).

``grader.spec`` installs ``reference_stub()`` as the ``reference`` module when the real one is not
importable, so modules that import it at the top still import; any use of it raises
``ReferenceUnavailable``. Public checks never use it (tests/notebooks/test_notebook_release.py).
"""

from __future__ import annotations

import importlib.machinery
import sys
import types


class ReferenceUnavailable(AttributeError):
    """The reference implementation is not part of a student release. An AttributeError, so that
    ``hasattr``/``getattr(..., default)`` probes of the module (inspect, pytest) stay quiet."""


def unavailable(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    raise ReferenceUnavailable(f"{name}: the reference implementation is not part of a student release; "
                               "only the public checks run here (docs/release.md)")


def reference_stub() -> types.ModuleType:
    """A ``reference`` module whose every attribute raises ``ReferenceUnavailable`` (installed once)."""
    module = sys.modules.get("reference")
    if module is None:
        module = types.ModuleType("reference", "not shipped in a student release (docs/release.md)")
        module.__getattr__ = unavailable
        module.__spec__ = importlib.machinery.ModuleSpec("reference", None)  # find_spec() probes must not fail
        sys.modules["reference"] = module
    return module
