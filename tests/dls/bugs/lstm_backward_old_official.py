# the old official notebook's lstm_backward: dc_prev is carried, da_prev is not (its "expected output"
# table was produced by this code)
def lstm_backward(da, caches):
    (caches, x) = caches
    (a1, c1, a0, c0, f1, i1, cc1, o1, x1, parameters) = caches[0]
    n_a, m, T_x = da.shape
    n_x, m = x1.shape
    dx = np.zeros((n_x, m, T_x))
    da_prevt = np.zeros((n_a, m))
    dc_prevt = np.zeros((n_a, m))
    dWf = np.zeros((n_a, n_a + n_x)); dWi = np.zeros((n_a, n_a + n_x))
    dWc = np.zeros((n_a, n_a + n_x)); dWo = np.zeros((n_a, n_a + n_x))
    dbf = np.zeros((n_a, 1)); dbi = np.zeros((n_a, 1)); dbc = np.zeros((n_a, 1)); dbo = np.zeros((n_a, 1))
    for t in reversed(range(T_x)):
        gradients = lstm_cell_backward(da[:, :, t], dc_prevt, caches[t])
        da_prevt = gradients["da_prev"]
        dc_prevt = gradients["dc_prev"]
        dx[:, :, t] = gradients["dxt"]
        dWf += gradients["dWf"]; dWi += gradients["dWi"]; dWc += gradients["dWc"]; dWo += gradients["dWo"]
        dbf += gradients["dbf"]; dbi += gradients["dbi"]; dbc += gradients["dbc"]; dbo += gradients["dbo"]
    da0 = da_prevt
    return {"dx": dx, "da0": da0, "dWf": dWf, "dbf": dbf, "dWi": dWi, "dbi": dbi, "dWc": dWc, "dbc": dbc,
            "dWo": dWo, "dbo": dbo}
