# Bug (numerical): the sigmoid helper is written 1 / (1 + exp(-a)): exp(-a) overflows for a < -709 (a warning, and
# still the right limit 0), which only shows with very large pre-activations.
import numpy as np


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))
