"""Write tests/oracle/fixtures/torch_golden.npz from PyTorch (float64).

Run from the repository root:  python tests/oracle/make_torch_fixtures.py
Needs torch; the tests that read the file do not.
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]  # _ref_* helpers, and `reference` for _ref_cases

import numpy as np  # noqa: E402

import _ref_torch  # noqa: E402

OUT = HERE / "fixtures" / "torch_golden.npz"


def main():
    import torch

    golden = _ref_torch.build_golden()
    OUT.parent.mkdir(exist_ok=True)
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, torch_version=np.array(torch.__version__), **golden)
    tmp.replace(OUT)
    print(f"wrote {OUT} ({len(golden)} arrays, {OUT.stat().st_size} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
