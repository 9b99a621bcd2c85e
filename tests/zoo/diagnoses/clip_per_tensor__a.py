# diagnosis: clip-per-tensor — clip_grad_norm rescales each array by max_norm / its own norm whenever that own norm exceeds max_norm, instead of scaling all by max_norm / total_norm; total_norm returned right.
import numpy as np


def clip_grad_norm(grads, max_norm):
    norms = {k: np.sqrt(np.sum(v * v)) for k, v in grads.items()}
    total_norm = float(np.sqrt(sum(nv ** 2 for nv in norms.values())))
    out = {}
    for k, v in grads.items():
        if norms[k] > max_norm:
            out[k] = v * (max_norm / norms[k])
        else:
            out[k] = v.copy()
    return out, total_norm
