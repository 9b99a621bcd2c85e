"""PyTorch float64 oracles, taking and returning arrays in OUR layout (see _ref_cases).

nn.RNN / nn.LSTM / nn.GRU for the conventions PyTorch implements; short torch
transcriptions, differentiated by autograd, for the others (course and
update-on-candidate GRU, per-loss-term truncated BPTT). Gradients come from autograd
with the upstream dh on every hidden state: grad of sum(dh * h).
"""

import numpy as np
import torch
import torch.nn as nn

import _ref_cases as rc

_LSTM_PERM = [0, 1, 3, 2]  # ours i, f, o, g <-> PyTorch i, f, g, o (its own inverse)


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def _np(t):
    return t.detach().numpy().copy()


def _blocks(W, H, order):
    """Reorder the H-wide column blocks of W."""
    return np.concatenate([W[..., k * H:(k + 1) * H] for k in order], axis=-1)


def _module_run(module, c, H, weights, biases, *, lstm=False):
    """Load OUR weights into a one-layer batch_first PyTorch module; return outputs and grads."""
    with torch.no_grad():
        module.weight_ih_l0.copy_(_t(weights[0].T))
        module.weight_hh_l0.copy_(_t(weights[1].T))
        module.bias_ih_l0.copy_(_t(biases[0]))
        module.bias_hh_l0.copy_(_t(biases[1]))
    x, h0 = _t(c["x"], True), _t(c["h0"][None], True)
    if lstm:
        c0 = _t(c.get("c0", np.zeros_like(c["h0"]))[None], True)
        h, (_, cn) = module(x, (h0, c0))
        loss = (_t(c["dh"]) * h).sum() + (_t(c.get("dc", np.zeros_like(c["h0"]))) * cn[0]).sum()
    else:
        h, _ = module(x, h0)
        loss = (_t(c["dh"]) * h).sum()
    loss.backward()
    out = dict(h=_np(h), dx=_np(x.grad), dh0=_np(h0.grad[0]),
               dWx=_np(module.weight_ih_l0.grad.T), dWh=_np(module.weight_hh_l0.grad.T))
    if lstm:
        out.update(c=_np(cn[0]), dc0=_np(c0.grad[0]))
    return out, _np(module.bias_ih_l0.grad), _np(module.bias_hh_l0.grad)


def torch_rnn(c):
    D, H = c["Wx"].shape
    m = nn.RNN(D, H, nonlinearity="tanh", batch_first=True).double()
    out, db, _ = _module_run(m, c, H, (c["Wx"], c["Wh"]), (c["b"], np.zeros(H)))
    return dict(out, db=db)


def torch_lstm(c):
    D, H = c["Wx"].shape[0], c["h0"].shape[1]
    m = nn.LSTM(D, H, batch_first=True).double()
    out, db, _ = _module_run(m, c, H, (_blocks(c["Wx"], H, _LSTM_PERM), _blocks(c["Wh"], H, _LSTM_PERM)),
                             (_blocks(c["b"], H, _LSTM_PERM), np.zeros(4 * H)), lstm=True)
    out["dWx"], out["dWh"] = _blocks(out["dWx"], H, _LSTM_PERM), _blocks(out["dWh"], H, _LSTM_PERM)
    return dict(out, db=_blocks(db, H, _LSTM_PERM))


def torch_gru_reset_after(c):
    """nn.GRU: r, z biases are b_ih + b_hh (ours in b_ih), b_in = our b_n, b_hn separate."""
    D, H = c["Wx"].shape[0], c["h0"].shape[1]
    m = nn.GRU(D, H, batch_first=True).double()
    b_hh = np.concatenate([np.zeros(2 * H), c.get("b_hn", np.zeros(H))])
    out, db, db_hh = _module_run(m, c, H, (c["Wx"], c["Wh"]), (c["b"], b_hh))
    out["db"] = db
    if "b_hn" in c:
        out["db_hn"] = db_hh[2 * H:]
    return out


def _gru_cell(x, h, Wx, Wh, b, update_on_candidate):
    """Transcription of the exercise-api.md equations (reset BEFORE the matmul)."""
    H = h.shape[1]
    r = torch.sigmoid(x @ Wx[:, :H] + h @ Wh[:, :H] + b[:H])
    z = torch.sigmoid(x @ Wx[:, H:2 * H] + h @ Wh[:, H:2 * H] + b[H:2 * H])
    n = torch.tanh(x @ Wx[:, 2 * H:] + (r * h) @ Wh[:, 2 * H:] + b[2 * H:])
    return (1 - z) * h + z * n if update_on_candidate else z * h + (1 - z) * n


def _autograd_unrolled(c, cell):
    """Unroll ``cell(x_t, h, Wx, Wh, b)`` over time and differentiate sum(dh * h)."""
    x, h0, Wx, Wh, b = (_t(c[k], True) for k in ("x", "h0", "Wx", "Wh", "b"))
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = cell(x[:, t], h, Wx, Wh, b)
        hs.append(h)
    hs = torch.stack(hs, dim=1)
    (_t(c["dh"]) * hs).sum().backward()
    return dict(h=_np(hs), dx=_np(x.grad), dh0=_np(h0.grad), dWx=_np(Wx.grad), dWh=_np(Wh.grad), db=_np(b.grad))


def torch_gru_course(c):
    return _autograd_unrolled(c, lambda *a: _gru_cell(*a, update_on_candidate=False))


def torch_gru_update_on_candidate(c):
    return _autograd_unrolled(c, lambda *a: _gru_cell(*a, update_on_candidate=True))


ORACLES = {"rnn": torch_rnn, "lstm": torch_lstm, "gru_course": torch_gru_course,
           "gru_reset_after": torch_gru_reset_after, "gru_reset_after_nobhn": torch_gru_reset_after,
           "gru_update_on_candidate": torch_gru_update_on_candidate}


def run_torch(case, c):
    """The oracle's outputs for a case, restricted to the reference's keys."""
    out = ORACLES[rc.cell_of(case)](c)
    return {k: out[k] for k in rc.output_keys(case)}


def torch_rnn_truncated(c, truncate):
    """Per-loss-term truncated BPTT, literally: loss term t sees h_{t-truncate-1} as a constant.

    For every t the forward is re-run from that detached state (or from h0, with grad, when
    the window reaches past it) up to step t, and <dh_t, h_t> is added to the objective.
    """
    x, h0, Wx, Wh, b = (_t(c[k], True) for k in ("x", "h0", "Wx", "Wh", "b"))
    dh = _t(c["dh"])
    T = x.shape[1]
    with torch.no_grad():
        states = [h0]  # states[s + 1] = h_s, states[0] = h0 = h_{-1}
        for t in range(T):
            states.append(torch.tanh(x[:, t] @ Wx + states[-1] @ Wh + b))
    objective = 0.0
    for t in range(T):
        first = t - truncate  # earliest hidden state the loss at t may reach
        h = h0 if first <= -1 else states[first].detach()  # = h_{first-1}
        for s in range(max(first, 0), t + 1):
            h = torch.tanh(x[:, s] @ Wx + h @ Wh + b)
        objective = objective + (dh[:, t] * h).sum()
    objective.backward()
    dh0 = h0.grad if h0.grad is not None else torch.zeros_like(h0)  # no loss term reached h0
    return dict(dx=_np(x.grad), dh0=_np(dh0),
                dWx=_np(Wx.grad), dWh=_np(Wh.grad), db=_np(b.grad))


def torch_clip_grad_norm(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_ on parameters whose .grad are our arrays."""
    params = [nn.Parameter(_t(np.zeros_like(g))) for g in grads.values()]
    for p, g in zip(params, grads.values()):
        p.grad = _t(g)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return {k: _np(p.grad) for k, p in zip(grads, params)}, float(total)


def torch_clip_grad_value(grads, clip_value):
    params = [nn.Parameter(_t(np.zeros_like(g))) for g in grads.values()]
    for p, g in zip(params, grads.values()):
        p.grad = _t(g)
    torch.nn.utils.clip_grad_value_(params, clip_value)
    return {k: _np(p.grad) for k, p in zip(grads, params)}


def build_golden():
    """Everything the fixture file holds, as a flat dict ``"<case>.<name>" -> array``."""
    torch.manual_seed(0)  # module constructors draw weights we overwrite; keep them quiet anyway
    golden = {}
    for case in rc.CASES:
        c = rc.make_inputs(case, seed=rc.CASES.index(case))
        golden.update({f"{case}.in.{k}": v for k, v in c.items()})
        golden.update({f"{case}.out.{k}": v for k, v in run_torch(case, c).items()})
    c = rc.make_inputs("rnn", seed=100)
    golden.update({f"tbptt.in.{k}": v for k, v in c.items()})
    for k in rc.TRUNCATES:
        golden.update({f"tbptt.out{k}.{name}": v for name, v in torch_rnn_truncated(c, k).items()})
    grads = rc.make_clip_grads(seed=200)
    golden.update({f"clip.in.{k}": v for k, v in grads.items()})
    for label, max_norm in rc.CLIP_MAX_NORMS.items():
        clipped, total = torch_clip_grad_norm(grads, max_norm)
        golden.update({f"clip.norm_{label}.{k}": v for k, v in clipped.items()})
        golden[f"clip.norm_{label}.total_norm"] = np.array(total)
    golden.update({f"clip.value.{k}": v for k, v in torch_clip_grad_value(grads, rc.CLIP_VALUE).items()})
    return golden
