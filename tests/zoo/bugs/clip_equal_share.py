# Bug: clip_grad_norm gives every (non-zero) array an equal share of the norm budget, max_norm / sqrt(number of
# arrays): the global norm ends up at max_norm, but the direction changes.
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    if total_norm <= max_norm:
        return {k: g.copy() for k, g in grads.items()}, total_norm
    nonzero = [k for k, g in grads.items() if np.any(g)]
    share = max_norm / np.sqrt(len(nonzero))
    return {k: (g * (share / np.linalg.norm(g)) if k in nonzero else g.copy()) for k, g in grads.items()}, total_norm
