# rnn_cell_forward without ba
def rnn_cell_forward(xt, a_prev, parameters):
    Wax, Waa, Wya, by = parameters["Wax"], parameters["Waa"], parameters["Wya"], parameters["by"]
    a_next = np.tanh(np.dot(Waa, a_prev) + np.dot(Wax, xt))
    yt_pred = softmax(np.dot(Wya, a_next) + by)
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)
