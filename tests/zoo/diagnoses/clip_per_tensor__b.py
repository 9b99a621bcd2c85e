# diagnosis: clip-per-tensor — clip_grad_norm computes the global total_norm correctly and checks it, but then clips each array to norm max_norm separately (g * max_norm / max(||g||, max_norm)) instead of scaling all by max_norm / total_norm.
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    if total_norm <= max_norm:
        return {name: np.array(g, copy=True) for name, g in grads.items()}, float(total_norm)
    clipped = {name: g * (max_norm / max(np.linalg.norm(g), max_norm))
               for name, g in grads.items()}
    return clipped, float(total_norm)
