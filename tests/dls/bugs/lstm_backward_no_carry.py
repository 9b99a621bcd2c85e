# lstm_backward that never carries da_prev / dc_prev between steps (the most common real defect)
def lstm_backward(da, caches):
    (caches, x) = caches
    (a1, c1, a0, c0, f1, i1, cc1, o1, x1, parameters) = caches[0]
    n_a, m, T_x = da.shape
    n_x, m = x1.shape
    dx = np.zeros((n_x, m, T_x))
    dc_prevt = np.zeros((n_a, m))
    grads = {k: np.zeros((n_a, n_a + n_x)) for k in ("dWf", "dWi", "dWc", "dWo")}
    grads.update({k: np.zeros((n_a, 1)) for k in ("dbf", "dbi", "dbc", "dbo")})
    for t in reversed(range(T_x)):
        gradients = lstm_cell_backward(da[:, :, t], dc_prevt, caches[t])
        dx[:, :, t] = gradients["dxt"]
        for k in grads:
            grads[k] += gradients[k]
    da0 = gradients["da_prev"]
    grads.update(dx=dx, da0=da0)
    return grads
