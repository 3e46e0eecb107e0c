"""PyTorch reference fixtures for the lstm-forecast core.

How to run
----------
    npm run fixtures
which runs
    /usr/bin/python3 scripts/torch-reference.py
from the repository root. It needs Debian's PyTorch:
    apt-get install python3-torch
(no pip, no virtualenv; only the Python standard library and torch are used).

The script is deterministic: float64 everywhere, one thread, fixed seeds (one
per case, so adding a case does not change the others). Running it twice
produces byte-identical files. Numbers are written with full precision (the
shortest repr that round-trips to the same float64). The JSON is laid out
exactly as `prettier` would lay it out (printWidth 100, as in .prettierrc.json)
so the fixtures stay readable and diffable, even though test/fixtures/ is in
.prettierignore. Shapes are PyTorch's own, as nested arrays; parameter dicts
are keyed by `state_dict()` names.

What each fixture holds (all written to test/fixtures/)
-------------------------------------------------------
lstm.json
    {"torch": version, "cases": [...]}; every case is one torch.nn.LSTM
    (dropout 0, batch_first irrelevant because inputs are unbatched):
    "config" {inputSize, hiddenSize, numLayers, bias, bidirectional},
    "stateDict" (PyTorch default init under the case's seed), "input" (T, I),
    "h0"/"c0" (D*L, H) or null when no initial state was passed,
    "output" (T, D*H) with each time step laid out [forward H | reverse H],
    "hn"/"cn" (D*L, H) ordered layer-major (row = layer*D + direction),
    upstream gradients "dOutput"/"dHn"/"dCn", and "grads" of
        (output*dOutput).sum() + (hn*dHn).sum() + (cn*dCn).sum()
    w.r.t. "input", "h0", "c0" and every parameter ("params"). When no
    initial state was passed, grads.h0/grads.c0 are the gradient w.r.t. a
    zero initial state.
recurrent.json
    {"torch": version, "cases": [...]}: torch.nn.LSTM and torch.nn.GRU in
    PyTorch's batched shapes and with the arguments lstm.json leaves out.
    Every case: "kind" ("lstm" or "gru"), "config" {inputSize, hiddenSize,
    numLayers, bias, batchFirst, bidirectional, projSize (LSTM only)},
    "batch" (N, or null for an unbatched (L, H_in) input), "stateDict",
    "input" ((L, N, H_in), (N, L, H_in) with batchFirst, or (L, H_in)),
    "h0" (D*num_layers, N, H_out) and for the LSTM "c0" (D*num_layers, N,
    H_cell) -- without the N axis when unbatched -- or null for no initial
    state, "output", "hn" (and "cn"), upstream gradients "dOutput", "dHn"
    (and "dCn"), and "grads" of (output*dOutput).sum() + (hn*dHn).sum()
    (+ (cn*dCn).sum()) w.r.t. "input", "h0" ("c0") and every parameter,
    as in lstm.json. H_out is proj_size when proj_size > 0, else
    hidden_size; H_cell is hidden_size.
linear.json
    "cases": torch.nn.Linear forward/backward on (T, in) inputs, grads of
    (output*dOutput).sum(); "lossCases": mse / l1 / huber (delta 1.0, 0.5),
    reduction "mean", on 1-D tensors of length 9, with grad = dloss/dpred.
optim.json
    "cases": 20 steps of Adam / AdamW / SGD on params a (3,4), b (4), given
    per-step gradients (p.grad = g; opt.step()), with the params after each
    step; "clipCases": torch.nn.utils.clip_grad_norm_(params, maxNorm) with
    the returned total norm and the clipped gradients.
train-step.json
    "stateDict" (initial), "series" (37 values: sin(0.3 t) + 0.1 * noise,
    normalised by its mean and population std), "window" (32), "steps":
    5 end-to-end training steps of the streaming forecaster: LSTM(1, 8, 1)
    + Linear(8, 1) on every time step's hidden state, window W = 32 of the
    normalised series (input series[k:k+32], target series[k+1:k+33] at
    step k = 0..4), zero initial state, MSE loss (mean over the 32
    predictions), backward, clip_grad_norm_(all params, 1.0), Adam(lr=1e-3)
    step (one optimizer, its state persists across the 5 steps). "loss"
    and "totalNorm" are the values before the update, "stateDict" after it.
"""

import hashlib
import json
import math
import os
import sys

import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures")


# --------------------------------------------------------------------------
# JSON output, laid out the way prettier 3 formats JSON.
# --------------------------------------------------------------------------

WIDTH = 100  # printWidth of the project's .prettierrc.json


def num_text(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError("non-finite number in fixture")
        s = repr(x)
        if "e" in s:  # prettier writes 1e-05 as 1e-5 and 1e+20 as 1e20
            mant, exp = s.split("e")
            sign = "-" if exp.startswith("-") else ""
            s = mant + "e" + sign + exp.lstrip("+-").lstrip("0")
        return s
    raise TypeError(type(x))


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def scalar_text(v):
    if v is None:
        return "null"
    if isinstance(v, str):
        return json.dumps(v)
    return num_text(v)


def must_break(v):
    """Whether prettier is forced to break this value over several lines."""
    if isinstance(v, dict):
        return len(v) > 0  # objects are written expanded and stay so
    if isinstance(v, list):
        if len(v) > 1 and (
            all(isinstance(e, list) and len(e) > 1 for e in v)
            or all(isinstance(e, dict) and len(e) > 1 for e in v)
        ):
            return True
        return any(must_break(e) for e in v)
    return False


def flat_text(v):
    if isinstance(v, list):
        return "[" + ", ".join(flat_text(e) for e in v) + "]"
    if isinstance(v, dict):
        assert not v
        return "{}"
    return scalar_text(v)


def render(v, col, ind, trail):
    """v starts at column col, the enclosing indentation is ind and trail
    characters follow v on its line."""
    if isinstance(v, dict):
        if not v:
            return "{}"
        pad = " " * (ind + 2)
        items = list(v.items())
        out = ["{\n"]
        for i, (k, val) in enumerate(items):
            last = i == len(items) - 1
            key = json.dumps(k) + ": "
            out.append(pad + key)
            out.append(render(val, ind + 2 + len(key), ind + 2, 0 if last else 1))
            out.append("\n" if last else ",\n")
        out.append(" " * ind + "}")
        return "".join(out)
    if isinstance(v, list):
        if not v:
            return "[]"
        if not must_break(v):
            flat = flat_text(v)
            if col + len(flat) + trail <= WIDTH:
                return flat
        pad = " " * (ind + 2)
        if len(v) > 1 and all(is_number(e) for e in v):
            # prettier's concise "fill" layout for arrays of numbers
            texts = [num_text(e) + ("," if i < len(v) - 1 else "") for i, e in enumerate(v)]
            lines = [pad + texts[0]]
            pos = len(lines[-1])
            for t in texts[1:]:
                if pos + 1 + len(t) <= WIDTH:
                    lines[-1] += " " + t
                else:
                    lines.append(pad + t)
                pos = len(lines[-1])
            return "[\n" + "\n".join(lines) + "\n" + " " * ind + "]"
        out = ["[\n"]
        for i, e in enumerate(v):
            last = i == len(v) - 1
            out.append(pad + render(e, ind + 2, ind + 2, 0 if last else 1))
            out.append("\n" if last else ",\n")
        out.append(" " * ind + "]")
        return "".join(out)
    return scalar_text(v)


def dumps(obj):
    text = render(obj, 0, 0, 0) + "\n"
    # what is written must read back as exactly the same data
    assert json.loads(text) == obj
    return text


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def L(t):
    """Tensor -> nested lists of Python floats (exact float64 values)."""
    return t.detach().tolist()


def state_dict_lists(module):
    return {k: L(v) for k, v in module.state_dict().items()}


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float64)


# --------------------------------------------------------------------------
# lstm.json
# --------------------------------------------------------------------------

# (name, seed, T, I, H, numLayers, bias, bidirectional, with initial state)
LSTM_CASES = [
    ("l1_bias_uni_state", 101, 7, 3, 5, 1, True, False, True),
    ("l1_nobias_uni_state", 102, 7, 3, 5, 1, False, False, True),
    ("l2_bias_uni_state", 103, 7, 3, 5, 2, True, False, True),
    ("l2_nobias_uni_state", 104, 7, 3, 5, 2, False, False, True),
    ("l3_bias_uni_state", 105, 7, 3, 5, 3, True, False, True),
    ("l3_nobias_uni_state", 106, 7, 3, 5, 3, False, False, True),
    ("l1_bias_bi_state", 107, 7, 3, 5, 1, True, True, True),
    ("l1_bias_bi_nostate", 108, 7, 3, 5, 1, True, True, False),
    ("l2_bias_bi_state", 109, 7, 3, 5, 2, True, True, True),
    ("l2_bias_bi_nostate", 110, 7, 3, 5, 2, True, True, False),
    ("l2_bias_uni_nostate", 111, 7, 3, 5, 2, True, False, False),
    ("long_t200_i2_h8_l2_bias_uni_state", 112, 200, 2, 8, 2, True, False, True),
    ("i1_h4_l1_bias_uni_state", 113, 7, 1, 4, 1, True, False, True),
]


def lstm_case(name, seed, T, I, H, num_layers, bias, bidirectional, with_state):
    torch.manual_seed(seed)
    D = 2 if bidirectional else 1
    lstm = torch.nn.LSTM(
        input_size=I,
        hidden_size=H,
        num_layers=num_layers,
        bias=bias,
        bidirectional=bidirectional,
        dropout=0.0,
    )
    x = randn(T, I)
    if with_state:
        h0 = randn(D * num_layers, H) * 0.5
        c0 = randn(D * num_layers, H) * 0.5
    else:
        h0 = torch.zeros(D * num_layers, H)
        c0 = torch.zeros(D * num_layers, H)
    d_out = randn(T, D * H)
    d_hn = randn(D * num_layers, H)
    d_cn = randn(D * num_layers, H)

    def run(pass_state):
        lstm.zero_grad(set_to_none=True)
        xi = x.clone().requires_grad_(True)
        hi = h0.clone().requires_grad_(True)
        ci = c0.clone().requires_grad_(True)
        if pass_state:
            out, (hn, cn) = lstm(xi, (hi, ci))
        else:
            out, (hn, cn) = lstm(xi)
        loss = (out * d_out).sum() + (hn * d_hn).sum() + (cn * d_cn).sum()
        loss.backward()
        params = {n: p.grad.clone() for n, p in lstm.named_parameters()}
        return out.detach(), hn.detach(), cn.detach(), xi.grad, hi.grad, ci.grad, params

    out, hn, cn, gx, gh, gc, gp = run(True)
    if not with_state:
        # the outputs are reported from lstm(input); the zero-state run must
        # agree exactly (it supplies the grads w.r.t. the zero state)
        out2, hn2, cn2, gx2, _, _, gp2 = run(False)
        assert torch.equal(out, out2) and torch.equal(hn, hn2) and torch.equal(cn, cn2)
        assert torch.equal(gx, gx2)
        assert all(torch.equal(gp[k], gp2[k]) for k in gp)
        out, hn, cn = out2, hn2, cn2
    assert list(lstm.state_dict().keys()) == list(gp.keys())

    return {
        "name": name,
        "config": {
            "inputSize": I,
            "hiddenSize": H,
            "numLayers": num_layers,
            "bias": bias,
            "bidirectional": bidirectional,
        },
        "stateDict": state_dict_lists(lstm),
        "input": L(x),
        "h0": L(h0) if with_state else None,
        "c0": L(c0) if with_state else None,
        "output": L(out),
        "hn": L(hn),
        "cn": L(cn),
        "dOutput": L(d_out),
        "dHn": L(d_hn),
        "dCn": L(d_cn),
        "grads": {
            "input": L(gx),
            "h0": L(gh),
            "c0": L(gc),
            "params": {k: L(v) for k, v in gp.items()},
        },
    }


def lstm_fixture():
    return {
        "torch": torch.__version__,
        "cases": [lstm_case(*c) for c in LSTM_CASES],
    }


# --------------------------------------------------------------------------
# recurrent.json
# --------------------------------------------------------------------------

# (name, seed, kind, T, N or None, I, H, numLayers, bias, bidirectional,
#  batch_first, proj_size, with initial state)
RECURRENT_CASES = [
    ("lstm_n3_l1_state", 501, "lstm", 6, 3, 3, 5, 1, True, False, False, 0, True),
    ("lstm_n3_batchfirst_l2_nostate", 502, "lstm", 6, 3, 3, 5, 2, True, False, True, 0, False),
    ("lstm_n1_batchfirst_bi_l2_state", 503, "lstm", 6, 1, 3, 4, 2, True, True, True, 0, True),
    ("lstm_n3_bi_l3_nobias_nostate", 504, "lstm", 5, 3, 2, 4, 3, False, True, False, 0, False),
    ("lstm_proj3_unbatched_l1_state", 505, "lstm", 6, None, 3, 5, 1, True, False, False, 3, True),
    ("lstm_proj2_n3_batchfirst_bi_l2_state", 506, "lstm", 6, 3, 3, 5, 2, True, True, True, 2, True),
    ("lstm_proj3_n3_l3_nobias_nostate", 507, "lstm", 5, 3, 2, 6, 3, False, False, False, 3, False),
    ("lstm_proj4_n2_t200_l2_state", 508, "lstm", 200, 2, 2, 8, 2, True, False, False, 4, True),
    ("gru_unbatched_l1_state", 601, "gru", 7, None, 3, 5, 1, True, False, False, 0, True),
    ("gru_unbatched_l3_nobias_state", 602, "gru", 7, None, 3, 5, 3, False, False, False, 0, True),
    ("gru_unbatched_bi_l2_nostate", 603, "gru", 6, None, 3, 4, 2, True, True, False, 0, False),
    ("gru_n3_l1_state", 604, "gru", 6, 3, 3, 5, 1, True, False, False, 0, True),
    ("gru_n3_batchfirst_l2_nostate", 605, "gru", 6, 3, 3, 5, 2, True, False, True, 0, False),
    ("gru_n1_bi_l2_state", 606, "gru", 6, 1, 3, 4, 2, True, True, False, 0, True),
    ("gru_n3_batchfirst_bi_l3_nobias_state", 607, "gru", 5, 3, 2, 4, 3, False, True, True, 0, True),
    ("gru_n2_t200_l2_state", 608, "gru", 200, 2, 2, 8, 2, True, False, False, 0, True),
]


def recurrent_case(name, seed, kind, T, N, I, H, num_layers, bias, bidirectional, batch_first, proj, with_state):
    torch.manual_seed(seed)
    D = 2 if bidirectional else 1
    if kind == "lstm":
        module = torch.nn.LSTM(
            input_size=I,
            hidden_size=H,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=0.0,
            bidirectional=bidirectional,
            proj_size=proj,
        )
    else:
        module = torch.nn.GRU(
            input_size=I,
            hidden_size=H,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=0.0,
            bidirectional=bidirectional,
        )
    H_out = proj if proj > 0 else H
    batch = () if N is None else (N,)
    if N is None:
        x = randn(T, I)
    elif batch_first:
        x = randn(N, T, I)
    else:
        x = randn(T, N, I)
    h_shape = (D * num_layers,) + batch + (H_out,)
    c_shape = (D * num_layers,) + batch + (H,)
    h0 = randn(*h_shape) * 0.5 if with_state else torch.zeros(*h_shape)
    c0 = randn(*c_shape) * 0.5 if with_state else torch.zeros(*c_shape)
    out_shape = (T, D * H_out) if N is None else ((N, T, D * H_out) if batch_first else (T, N, D * H_out))
    d_out = randn(*out_shape)
    d_hn = randn(*h_shape)
    d_cn = randn(*c_shape)

    def run(pass_state):
        module.zero_grad(set_to_none=True)
        xi = x.clone().requires_grad_(True)
        hi = h0.clone().requires_grad_(True)
        ci = c0.clone().requires_grad_(True)
        if kind == "lstm":
            out, (hn, cn) = module(xi, (hi, ci)) if pass_state else module(xi)
            loss = (out * d_out).sum() + (hn * d_hn).sum() + (cn * d_cn).sum()
        else:
            out, hn = module(xi, hi) if pass_state else module(xi)
            cn = None
            loss = (out * d_out).sum() + (hn * d_hn).sum()
        loss.backward()
        params = {n: p.grad.clone() for n, p in module.named_parameters()}
        return out.detach(), hn.detach(), cn, xi.grad, hi.grad, ci.grad, params

    out, hn, cn, gx, gh, gc, gp = run(True)
    if not with_state:
        out2, hn2, _, gx2, _, _, gp2 = run(False)
        assert torch.equal(out, out2) and torch.equal(hn, hn2) and torch.equal(gx, gx2)
        assert all(torch.equal(gp[k], gp2[k]) for k in gp)
    assert list(module.state_dict().keys()) == list(gp.keys())
    assert list(out.shape) == list(out_shape) and list(hn.shape) == list(h_shape)

    config = {
        "inputSize": I,
        "hiddenSize": H,
        "numLayers": num_layers,
        "bias": bias,
        "batchFirst": batch_first,
        "bidirectional": bidirectional,
    }
    if kind == "lstm":
        config["projSize"] = proj
    case = {
        "name": name,
        "kind": kind,
        "config": config,
        "batch": N,
        "stateDict": state_dict_lists(module),
        "input": L(x),
        "h0": L(h0) if with_state else None,
    }
    if kind == "lstm":
        case["c0"] = L(c0) if with_state else None
    case["output"] = L(out)
    case["hn"] = L(hn)
    if kind == "lstm":
        case["cn"] = L(cn.detach())
    case["dOutput"] = L(d_out)
    case["dHn"] = L(d_hn)
    if kind == "lstm":
        case["dCn"] = L(d_cn)
    grads = {"input": L(gx), "h0": L(gh)}
    if kind == "lstm":
        grads["c0"] = L(gc)
    grads["params"] = {k: L(v) for k, v in gp.items()}
    case["grads"] = grads
    return case


def recurrent_fixture():
    return {
        "torch": torch.__version__,
        "cases": [recurrent_case(*c) for c in RECURRENT_CASES],
    }


def check_recurrent(fx):
    assert fx["torch"] == torch.__version__
    names = [c["name"] for c in fx["cases"]]
    assert len(set(names)) == len(names)
    for case in fx["cases"]:
        cfg = case["config"]
        lstm = case["kind"] == "lstm"
        D = 2 if cfg["bidirectional"] else 1
        H = cfg["hiddenSize"]
        P = cfg.get("projSize", 0) or H
        rows = D * cfg["numLayers"]
        N = case["batch"]
        batch = [] if N is None else [N]
        assert shape(case["hn"]) == [rows] + batch + [P], case["name"]
        assert shape(case["grads"]["h0"]) == [rows] + batch + [P]
        if lstm:
            assert shape(case["cn"]) == [rows] + batch + [H]
            assert shape(case["grads"]["c0"]) == [rows] + batch + [H]
        assert shape(case["output"]) == shape(case["dOutput"])
        assert shape(case["grads"]["input"]) == shape(case["input"])
        assert list(case["stateDict"]) == list(case["grads"]["params"])
        if lstm and cfg["projSize"] > 0:
            assert shape(case["stateDict"]["weight_hr_l0"]) == [P, H]
        assert not lstm or "weight_hr_l0" in case["stateDict"] or cfg["projSize"] == 0


# --------------------------------------------------------------------------
# linear.json
# --------------------------------------------------------------------------

# (name, seed, T, in, out, bias)
LINEAR_CASES = [
    ("in5_out1_bias", 201, 6, 5, 1, True),
    ("in5_out3_bias", 202, 6, 5, 3, True),
    ("in4_out2_nobias", 203, 6, 4, 2, False),
]


def linear_case(name, seed, T, n_in, n_out, bias):
    torch.manual_seed(seed)
    lin = torch.nn.Linear(n_in, n_out, bias=bias)
    x = randn(T, n_in).requires_grad_(True)
    d_out = randn(T, n_out)
    out = lin(x)
    (out * d_out).sum().backward()
    grads = {"weight": L(lin.weight.grad)}
    if bias:
        grads["bias"] = L(lin.bias.grad)
    return {
        "name": name,
        "config": {"inFeatures": n_in, "outFeatures": n_out, "bias": bias},
        "stateDict": state_dict_lists(lin),
        "input": L(x),
        "output": L(out),
        "dOutput": L(d_out),
        "grads": {"input": L(x.grad), "params": grads},
    }


def loss_cases():
    torch.manual_seed(301)
    pred = randn(9)
    # pred - target spread over both sides of both huber deltas (0.5, 1.0),
    # away from the branch points and from 0 (where l1's gradient is 0)
    diff = torch.tensor([-2.3, -1.2, -0.7, -0.3, -0.05, 0.2, 0.6, 0.9, 1.7])
    diff = diff + 0.02 * randn(9)
    target = pred - diff
    cases = []
    for name, kind, delta in [
        ("mse", "mse", None),
        ("l1", "l1", None),
        ("huber_delta1", "huber", 1.0),
        ("huber_delta0.5", "huber", 0.5),
    ]:
        p = pred.clone().requires_grad_(True)
        if kind == "mse":
            loss = torch.nn.functional.mse_loss(p, target, reduction="mean")
        elif kind == "l1":
            loss = torch.nn.functional.l1_loss(p, target, reduction="mean")
        else:
            loss = torch.nn.functional.huber_loss(p, target, reduction="mean", delta=delta)
        loss.backward()
        case = {"name": name, "kind": kind}
        if delta is not None:
            case["delta"] = delta
        case.update({"pred": L(pred), "target": L(target), "loss": loss.item(), "grad": L(p.grad)})
        cases.append(case)
    return cases


def linear_fixture():
    return {
        "cases": [linear_case(*c) for c in LINEAR_CASES],
        "lossCases": loss_cases(),
    }


# --------------------------------------------------------------------------
# optim.json
# --------------------------------------------------------------------------

STEPS = 20

# (name, seed, optimizer, options in the fixture's camelCase keys)
OPTIM_CASES = [
    ("adam", 401, "adam", {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 0.0}),
    ("adam_wd0.1", 402, "adam", {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 0.1}),
    ("adamw_wd0.01", 403, "adamw", {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 0.01}),
    ("adamw_wd0.1", 404, "adamw", {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 0.1}),
    (
        "sgd_momentum0.9",
        405,
        "sgd",
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weightDecay": 0.0, "nesterov": False},
    ),
    (
        "sgd_momentum0.9_dampening0.1_wd0.01",
        406,
        "sgd",
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01, "nesterov": False},
    ),
    (
        "sgd_momentum0.9_nesterov",
        407,
        "sgd",
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weightDecay": 0.0, "nesterov": True},
    ),
]


def make_optimizer(kind, o, params):
    if kind == "adam":
        return torch.optim.Adam(
            params, lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["weightDecay"], foreach=False
        )
    if kind == "adamw":
        return torch.optim.AdamW(
            params, lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["weightDecay"], foreach=False
        )
    if kind == "sgd":
        return torch.optim.SGD(
            params,
            lr=o["lr"],
            momentum=o["momentum"],
            dampening=o["dampening"],
            weight_decay=o["weightDecay"],
            nesterov=o["nesterov"],
            foreach=False,
        )
    raise ValueError(kind)


def optim_case(name, seed, kind, options):
    torch.manual_seed(seed)
    a = randn(3, 4).requires_grad_(True)
    b = randn(4).requires_grad_(True)
    init = {"a": L(a), "b": L(b)}
    opt = make_optimizer(kind, options, [a, b])
    grads, traj = [], []
    for _ in range(STEPS):
        ga, gb = randn(3, 4), randn(4)
        a.grad, b.grad = ga.clone(), gb.clone()
        opt.step()
        grads.append({"a": L(ga), "b": L(gb)})
        traj.append({"a": L(a), "b": L(b)})
    return {
        "name": name,
        "optimizer": kind,
        "options": options,
        "params": init,
        "grads": grads,
        "trajectory": traj,
    }


def clip_case(name, seed, max_norm):
    torch.manual_seed(seed)
    a = randn(3, 4).requires_grad_(True)
    b = randn(4).requires_grad_(True)
    ga, gb = randn(3, 4), randn(4)
    a.grad, b.grad = ga.clone(), gb.clone()
    total = torch.nn.utils.clip_grad_norm_([a, b], max_norm, norm_type=2.0)
    return {
        "name": name,
        "maxNorm": max_norm,
        "grads": {"a": L(ga), "b": L(gb)},
        "totalNorm": total.item(),
        "clipped": {"a": L(a.grad), "b": L(b.grad)},
    }


def optim_fixture():
    return {
        "cases": [optim_case(*c) for c in OPTIM_CASES],
        "clipCases": [clip_case("clipped", 501, 1.0), clip_case("not_clipped", 502, 100.0)],
    }


# --------------------------------------------------------------------------
# train-step.json
# --------------------------------------------------------------------------

WINDOW = 32
TRAIN_STEPS = 5


class Forecaster(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(1, 8, 1)
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x):  # x: (T, 1), zero initial state
        out, _ = self.lstm(x)
        return self.head(out)  # (T, 1)


def train_step_fixture():
    # seed chosen so that clip_grad_norm_ scales the gradients in steps 0-2
    # (total norm > 1) and leaves them alone in steps 3-4: both paths covered
    torch.manual_seed(615)
    model = Forecaster()
    n = WINDOW + TRAIN_STEPS  # 37 values: the last window's target ends at 36
    t = torch.arange(n, dtype=torch.float64)
    raw = torch.sin(0.3 * t) + 0.1 * randn(n)
    series = (raw - raw.mean()) / raw.std(unbiased=False)
    initial = state_dict_lists(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=False)
    steps = []
    for k in range(TRAIN_STEPS):
        x = series[k : k + WINDOW].reshape(WINDOW, 1)
        y = series[k + 1 : k + WINDOW + 1].reshape(WINDOW, 1)
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        total = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps.append({"loss": loss.item(), "totalNorm": total.item(), "stateDict": state_dict_lists(model)})
    return {"stateDict": initial, "series": L(series), "window": WINDOW, "steps": steps}


# --------------------------------------------------------------------------
# sanity checks on the written files (independent re-implementations)
# --------------------------------------------------------------------------


def shape(v):
    s = []
    while isinstance(v, list):
        s.append(len(v))
        v = v[0]
    return s


def T_(v):
    return torch.tensor(v, dtype=torch.float64)


def manual_lstm(case):
    """Plain LSTM from the fixture's own numbers: gates i, f, g, o; layer
    input of layer l > 0 is [forward | reverse] of layer l-1."""
    cfg = case["config"]
    H, nl = cfg["hiddenSize"], cfg["numLayers"]
    D = 2 if cfg["bidirectional"] else 1
    sd = {k: T_(v) for k, v in case["stateDict"].items()}
    x = T_(case["input"])
    Tn = x.shape[0]
    h0 = T_(case["h0"]) if case["h0"] is not None else torch.zeros(D * nl, H)
    c0 = T_(case["c0"]) if case["c0"] is not None else torch.zeros(D * nl, H)
    hn, cn = [], []
    inp = x
    for layer in range(nl):
        outs = []
        for d in range(D):
            sfx = "_l%d%s" % (layer, "_reverse" if d else "")
            wih, whh = sd["weight_ih" + sfx], sd["weight_hh" + sfx]
            b = sd["bias_ih" + sfx] + sd["bias_hh" + sfx] if cfg["bias"] else torch.zeros(4 * H)
            h, c = h0[layer * D + d], c0[layer * D + d]
            seq = [None] * Tn
            order = range(Tn - 1, -1, -1) if d else range(Tn)
            for t in order:
                z = wih @ inp[t] + whh @ h + b
                i, f, g, o = z[:H].sigmoid(), z[H : 2 * H].sigmoid(), z[2 * H : 3 * H].tanh(), z[3 * H :].sigmoid()
                c = f * c + i * g
                h = o * c.tanh()
                seq[t] = h
            outs.append(torch.stack(seq))
            hn.append(h)
            cn.append(c)
        inp = torch.cat(outs, dim=1)
    return inp, torch.stack(hn), torch.stack(cn)


def close(a, b, tol=1e-10):
    a, b = T_(a) if isinstance(a, list) else a, T_(b) if isinstance(b, list) else b
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=tol, atol=tol))


def check_lstm(fx):
    assert fx["torch"] == torch.__version__
    names = [c["name"] for c in fx["cases"]]
    assert len(set(names)) == len(names)
    for case in fx["cases"]:
        cfg = case["config"]
        I, H, nl = cfg["inputSize"], cfg["hiddenSize"], cfg["numLayers"]
        D = 2 if cfg["bidirectional"] else 1
        Tn = len(case["input"])
        assert shape(case["input"]) == [Tn, I]
        for k in ("hn", "cn", "dHn", "dCn"):
            assert shape(case[k]) == [D * nl, H], (case["name"], k)
        for k in ("h0", "c0"):
            assert case[k] is None or shape(case[k]) == [D * nl, H]
            assert shape(case["grads"][k]) == [D * nl, H]
        assert shape(case["output"]) == shape(case["dOutput"]) == [Tn, D * H]
        assert shape(case["grads"]["input"]) == [Tn, I]
        expected_names = []
        for layer in range(nl):
            for d in range(D):
                sfx = "_l%d%s" % (layer, "_reverse" if d else "")
                lin = I if layer == 0 else D * H
                expected_names += ["weight_ih" + sfx, "weight_hh" + sfx]
                assert shape(case["stateDict"]["weight_ih" + sfx]) == [4 * H, lin]
                assert shape(case["stateDict"]["weight_hh" + sfx]) == [4 * H, H]
                if cfg["bias"]:
                    expected_names += ["bias_ih" + sfx, "bias_hh" + sfx]
                    assert shape(case["stateDict"]["bias_ih" + sfx]) == [4 * H]
        assert list(case["stateDict"]) == expected_names == list(case["grads"]["params"])
        for k in expected_names:
            assert shape(case["grads"]["params"][k]) == shape(case["stateDict"][k])
        # independent forward pass
        out, hn, cn = manual_lstm(case)
        assert close(out, case["output"]) and close(hn, case["hn"]) and close(cn, case["cn"]), case["name"]
        # layout: per time step [forward H | reverse H]; hn row = layer*D + dir
        o = T_(case["output"])
        top = (nl - 1) * D
        assert close(o[-1, :H], case["hn"][top])
        if D == 2:
            assert close(o[0, H:], case["hn"][top + 1])
        # gradient check: directional derivative by central differences
        check_lstm_grad(case)


def check_lstm_grad(case):
    cfg = case["config"]
    H, nl = cfg["hiddenSize"], cfg["numLayers"]
    D = 2 if cfg["bidirectional"] else 1
    g = torch.Generator().manual_seed(7)
    base = {
        "input": T_(case["input"]),
        "h0": T_(case["h0"]) if case["h0"] is not None else torch.zeros(D * nl, H),
        "c0": T_(case["c0"]) if case["c0"] is not None else torch.zeros(D * nl, H),
    }
    base.update({"p:" + k: T_(v) for k, v in case["stateDict"].items()})
    grads = {"input": case["grads"]["input"], "h0": case["grads"]["h0"], "c0": case["grads"]["c0"]}
    grads.update({"p:" + k: v for k, v in case["grads"]["params"].items()})
    dirs = {k: torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in base.items()}
    dO, dH, dC = T_(case["dOutput"]), T_(case["dHn"]), T_(case["dCn"])

    def f(eps):
        c = dict(case)
        moved = {k: base[k] + eps * dirs[k] for k in base}
        c["input"] = L(moved["input"])
        c["h0"], c["c0"] = L(moved["h0"]), L(moved["c0"])
        c["stateDict"] = {k[2:]: L(v) for k, v in moved.items() if k.startswith("p:")}
        out, hn, cn = manual_lstm(c)
        return float((out * dO).sum() + (hn * dH).sum() + (cn * dC).sum())

    eps = 1e-5
    numeric = (f(eps) - f(-eps)) / (2 * eps)
    analytic = sum(float((T_(grads[k]) * dirs[k]).sum()) for k in base)
    assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(analytic)), (case["name"], numeric, analytic)


def check_linear(fx):
    for case in fx["cases"]:
        c = case["config"]
        W = T_(case["stateDict"]["weight"])
        assert list(W.shape) == [c["outFeatures"], c["inFeatures"]]
        assert ("bias" in case["stateDict"]) == c["bias"] == ("bias" in case["grads"]["params"])
        x, dO = T_(case["input"]), T_(case["dOutput"])
        y = x @ W.T + (T_(case["stateDict"]["bias"]) if c["bias"] else 0)
        assert close(y, case["output"])
        assert close(dO @ W, case["grads"]["input"])
        assert close(dO.T @ x, case["grads"]["params"]["weight"])
        if c["bias"]:
            assert close(dO.sum(0), case["grads"]["params"]["bias"])
    hit = set()
    for case in fx["lossCases"]:
        p, t = T_(case["pred"]), T_(case["target"])
        assert len(p) == len(t) == 9
        d = p - t
        n = len(d)
        if case["kind"] == "mse":
            loss, grad = (d * d).mean(), 2 * d / n
        elif case["kind"] == "l1":
            loss, grad = d.abs().mean(), d.sign() / n
        else:
            k = case["delta"]
            small = d.abs() < k
            hit.add((k, bool(small.any()), bool((~small).any())))
            loss = torch.where(small, 0.5 * d * d, k * (d.abs() - 0.5 * k)).mean()
            grad = torch.where(small, d, k * d.sign()) / n
        assert close(loss, torch.tensor(case["loss"])) and close(grad, case["grad"]), case["name"]
    assert hit == {(1.0, True, True), (0.5, True, True)}, hit


def manual_optim(case):
    o = case["options"]
    p = {k: T_(v) for k, v in case["params"].items()}
    state = {k: {} for k in p}
    traj = []
    for step, g in enumerate(case["grads"], start=1):
        for k in p:
            grad = T_(g[k])
            s = state[k]
            if case["optimizer"] in ("adam", "adamw"):
                b1, b2 = o["betas"]
                if case["optimizer"] == "adamw":
                    p[k] = p[k] * (1 - o["lr"] * o["weightDecay"])  # decoupled, before the update
                elif o["weightDecay"]:
                    grad = grad + o["weightDecay"] * p[k]  # L2 into the gradient
                s["m"] = s.get("m", torch.zeros_like(grad)) * b1 + (1 - b1) * grad
                s["v"] = s.get("v", torch.zeros_like(grad)) * b2 + (1 - b2) * grad * grad
                bc1, bc2 = 1 - b1**step, 1 - b2**step
                denom = s["v"].sqrt() / math.sqrt(bc2) + o["eps"]
                p[k] = p[k] - (o["lr"] / bc1) * s["m"] / denom
            else:
                if o["weightDecay"]:
                    grad = grad + o["weightDecay"] * p[k]
                if o["momentum"]:
                    if "buf" not in s:
                        s["buf"] = grad.clone()  # first step: no dampening
                    else:
                        s["buf"] = o["momentum"] * s["buf"] + (1 - o["dampening"]) * grad
                    grad = grad + o["momentum"] * s["buf"] if o["nesterov"] else s["buf"]
                p[k] = p[k] - o["lr"] * grad
        traj.append({k: v.clone() for k, v in p.items()})
    return traj


def check_optim(fx):
    worst = 0.0
    for case in fx["cases"]:
        assert shape(case["params"]["a"]) == [3, 4] and shape(case["params"]["b"]) == [4]
        assert len(case["grads"]) == len(case["trajectory"]) == STEPS
        for mine, theirs in zip(manual_optim(case), case["trajectory"]):
            for k in ("a", "b"):
                assert shape(theirs[k]) == list(mine[k].shape)
                worst = max(worst, float((mine[k] - T_(theirs[k])).abs().max()))
    assert worst < 1e-12, worst
    clipped = set()
    for case in fx["clipCases"]:
        g = {k: T_(v) for k, v in case["grads"].items()}
        total = math.sqrt(sum(float((v * v).sum()) for v in g.values()))
        assert abs(total - case["totalNorm"]) < 1e-12
        coef = min(1.0, case["maxNorm"] / (total + 1e-6))
        clipped.add(coef < 1.0)
        for k in g:
            assert close(g[k] * coef, case["clipped"][k], 1e-14)
    assert clipped == {True, False}
    return worst


def check_train_step(fx):
    assert fx["window"] == WINDOW and len(fx["series"]) >= WINDOW + TRAIN_STEPS
    names = list(fx["stateDict"])
    assert names == [
        "lstm.weight_ih_l0",
        "lstm.weight_hh_l0",
        "lstm.bias_ih_l0",
        "lstm.bias_hh_l0",
        "head.weight",
        "head.bias",
    ], names
    assert shape(fx["stateDict"]["lstm.weight_ih_l0"]) == [32, 1]
    assert shape(fx["stateDict"]["head.weight"]) == [1, 8]
    assert len(fx["steps"]) == TRAIN_STEPS
    # replay the first step's forward pass with the manual LSTM
    sd = fx["stateDict"]
    case = {
        "config": {"inputSize": 1, "hiddenSize": 8, "numLayers": 1, "bias": True, "bidirectional": False},
        "stateDict": {k[5:]: v for k, v in sd.items() if k.startswith("lstm.")},
        "input": [[v] for v in fx["series"][:WINDOW]],
        "h0": None,
        "c0": None,
    }
    out, _, _ = manual_lstm(case)
    pred = out @ T_(sd["head.weight"]).T + T_(sd["head.bias"])
    target = T_(fx["series"][1 : WINDOW + 1]).reshape(WINDOW, 1)
    loss = float(((pred - target) ** 2).mean())
    assert abs(loss - fx["steps"][0]["loss"]) < 1e-12
    for s in fx["steps"]:
        assert list(s["stateDict"]) == names
    assert {s["totalNorm"] > 1.0 for s in fx["steps"]} == {True, False}


# --------------------------------------------------------------------------


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    fixtures = [
        ("lstm.json", lstm_fixture, check_lstm),
        ("recurrent.json", recurrent_fixture, check_recurrent),
        ("linear.json", linear_fixture, check_linear),
        ("optim.json", optim_fixture, check_optim),
        ("train-step.json", train_step_fixture, check_train_step),
    ]
    print("torch %s, python %s" % (torch.__version__, sys.version.split()[0]))
    total = 0
    for fname, build, check in fixtures:
        text = dumps(build())
        path = os.path.join(OUT_DIR, fname)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        with open(path, encoding="utf-8") as f:
            check(json.load(f))
        size = os.path.getsize(path)
        total += size
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        print("wrote %-40s %9d bytes  sha256 %s" % (os.path.relpath(path, ROOT), size, digest))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
