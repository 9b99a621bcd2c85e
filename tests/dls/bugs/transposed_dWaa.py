# dWaa computed as a_prev @ dtanh.T: the transpose of the right gradient
def rnn_cell_backward(da_next, cache):
    (a_next, a_prev, xt, parameters) = cache
    dtanh = (1 - a_next ** 2) * da_next
    return {"dxt": np.dot(parameters["Wax"].T, dtanh), "da_prev": np.dot(parameters["Waa"].T, dtanh),
            "dWax": np.dot(dtanh, xt.T), "dWaa": np.dot(a_prev, dtanh.T),
            "dba": np.sum(dtanh, axis=1, keepdims=True)}
