# Make `reference` (repo root) and the `_ref_*` helpers (this folder) importable under any
# pytest import mode and without PYTHONPATH.
import pathlib
import sys

_HERE = pathlib.Path(__file__).resolve().parent
for _p in (str(_HERE.parents[1]), str(_HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)
