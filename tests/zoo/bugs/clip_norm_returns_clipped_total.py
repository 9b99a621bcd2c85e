# Bug: clip_grad_norm returns the norm AFTER clipping as total_norm (it should be the norm before clipping).
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    scale = min(1.0, max_norm / total_norm) if total_norm > 0 else 1.0
    return {k: g * scale for k, g in grads.items()}, total_norm * scale
