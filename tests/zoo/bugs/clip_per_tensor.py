# Bug: clip_grad_norm scales each array by its own norm instead of one global norm over all arrays (total_norm itself is right).
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    clipped = {}
    for name, g in grads.items():
        norm = np.linalg.norm(g)
        if norm > max_norm:
            clipped[name] = g * (max_norm / norm)
        else:
            clipped[name] = g.copy()
    return clipped, float(total_norm)
