"""The DLS adapter (grader/dls.py) and the DLS example solution, checked independently.

The example solution is our own file (not a submission), so the tests import it directly. PyTorch
(nn.RNN / nn.LSTM with the DLS weights laid out in its own convention, gate blocks i, f, g, o) is
the outside oracle for both the solution and the adapter's expected values.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from grader.dls import DLS_LAYER_BY_FUNCTION, softmax
from zoo_helpers import ROOT

SOLUTION = ROOT / "examples" / "dls_correct" / "rnn_utils_dls.py"


@pytest.fixture(scope="module")
def sol():
    spec = importlib.util.spec_from_file_location("rnn_utils_dls_example", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inputs(function, dims, seed=0):
    layer = DLS_LAYER_BY_FUNCTION[function]
    return layer, layer.draw(np.random.default_rng(seed), dims)


SEQ = {"N": 3, "T": 4, "D": 2, "H": 5, "Y": 3}
STEP = {"N": 3, "D": 2, "H": 5, "Y": 3}


@pytest.mark.parametrize("function,dims", [("rnn_cell_forward", STEP), ("rnn_forward", SEQ),
                                           ("lstm_cell_forward", STEP), ("lstm_forward", SEQ)])
def test_layouts_round_trip(function, dims):
    layer, inputs = _inputs(function, dims)
    ref = layer.to_ref(inputs)
    back = layer.from_ref(ref)
    for k, v in back.items():
        np.testing.assert_array_equal(v, inputs[k])
    shapes = layer.shapes(dims)
    assert {k: v.shape for k, v in inputs.items()} == {k: shapes[k] for k in inputs}
    # gradients: reference layout -> DLS dict -> reference layout
    rng = np.random.default_rng(1)
    ref_grads = [rng.standard_normal(np.shape(ref[n])) for n in layer.ref.input_names]
    dls = layer.grads_from_ref(ref_grads)
    assert set(dls) == set(layer.grad_names)
    again = layer.grads_to_ref(dls, dims)
    for name, g in zip(layer.ref.grad_names, ref_grads):
        np.testing.assert_array_equal(again[name], g)


@pytest.mark.parametrize("function,dims", [("rnn_cell_forward", STEP), ("rnn_forward", SEQ),
                                           ("lstm_cell_forward", STEP), ("lstm_forward", SEQ)])
def test_adapter_expected_values_equal_the_dls_solution(sol, function, dims):
    """The adapter's expected outputs and gradients are those of an independent DLS transcription."""
    layer, inputs = _inputs(function, dims)
    expected, ref_cache = layer.expected(inputs)
    got = getattr(sol, layer.forward)(*layer.forward_args(inputs))
    for name, e, g in zip(layer.output_names, expected, got[:-1]):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14, err_msg=name)
    rng = np.random.default_rng(2)
    upstream = {u: rng.standard_normal(layer.shapes(dims)[o]) for u, o in layer.loss_pairs}
    want = layer.expected_grads(upstream, ref_cache)
    grads = getattr(sol, layer.backward)(*[upstream[u] for u in layer.upstream_names], got[-1])
    for name, w in zip(layer.grad_names, want):
        np.testing.assert_allclose(grads[name], w, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("arch", ["rnn", "lstm"])
def test_dls_solution_matches_pytorch(sol, arch):
    torch = pytest.importorskip("torch")
    layer, p = _inputs(f"{arch}_forward", SEQ, seed=3)
    x, a0 = p["x"], p["a0"]
    n_x, m, T = x.shape
    H = a0.shape[0]
    t = lambda a: torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=True)  # noqa: E731
    if arch == "rnn":
        net = torch.nn.RNN(n_x, H, nonlinearity="tanh", bias=True).double()
        weights = {"weight_ih_l0": p["Wax"], "weight_hh_l0": p["Waa"], "bias_ih_l0": p["ba"].ravel(),
                   "bias_hh_l0": np.zeros(H)}
    else:
        net = torch.nn.LSTM(n_x, H).double()
        gates = ("i", "f", "c", "o")  # PyTorch's blocks i, f, g, o
        weights = {"weight_ih_l0": np.concatenate([p["W" + g][:, H:] for g in gates]),
                   "weight_hh_l0": np.concatenate([p["W" + g][:, :H] for g in gates]),
                   "bias_ih_l0": np.concatenate([p["b" + g].ravel() for g in gates]), "bias_hh_l0": np.zeros(4 * H)}
    with torch.no_grad():
        for name, value in weights.items():
            getattr(net, name).copy_(torch.tensor(value))
    xt = t(x.transpose(2, 1, 0))  # (T, m, n_x)
    h0 = t(a0.T[None])
    out, _ = net(xt, h0) if arch == "rnn" else net(xt, (h0, torch.zeros_like(h0)))
    a_torch = out.detach().numpy().transpose(2, 1, 0)  # (n_a, m, T)
    da = np.random.default_rng(4).standard_normal(a_torch.shape)
    (out * torch.tensor(da.transpose(2, 1, 0))).sum().backward()

    fwd = sol.rnn_forward(x, a0, {k: p[k] for k in layer.param_names}) if arch == "rnn" else \
        sol.lstm_forward(x, a0, {k: p[k] for k in layer.param_names})
    np.testing.assert_allclose(fwd[0], a_torch, rtol=1e-12, atol=1e-13)
    Wy = p["Wya" if arch == "rnn" else "Wy"]
    y = np.stack([softmax(Wy @ a_torch[:, :, k] + p["by"]) for k in range(T)], axis=2)
    np.testing.assert_allclose(fwd[1], y, rtol=1e-12, atol=1e-13)
    grads = (sol.rnn_backward if arch == "rnn" else sol.lstm_backward)(da, fwd[-1])
    np.testing.assert_allclose(grads["dx"], xt.grad.numpy().transpose(2, 1, 0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads["da0"], h0.grad.numpy()[0].T, rtol=1e-9, atol=1e-12)
    w_ih, w_hh = net.weight_ih_l0.grad.numpy(), net.weight_hh_l0.grad.numpy()
    b = net.bias_ih_l0.grad.numpy()
    if arch == "rnn":
        np.testing.assert_allclose(grads["dWax"], w_ih, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(grads["dWaa"], w_hh, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(grads["dba"], b[:, None], rtol=1e-9, atol=1e-12)
    else:
        for k, g in enumerate(("i", "f", "c", "o")):
            rows = slice(k * H, (k + 1) * H)
            np.testing.assert_allclose(grads["dW" + g], np.concatenate([w_hh[rows], w_ih[rows]], axis=1),
                                       rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(grads["db" + g], b[rows][:, None], rtol=1e-9, atol=1e-12)
