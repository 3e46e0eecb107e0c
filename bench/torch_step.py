"""PyTorch side of the benchmark (run by bench/core.bench.ts; needs only torch and the stdlib).

Timing, one configuration per process:
    /usr/bin/python3 bench/torch_step.py --hidden 32 --layers 1 [--runs 7 --min-time 0.3 ...]
Parity data for the check that ours computes the same step:
    /usr/bin/python3 bench/torch_step.py --parity --configs 32x1,64x2 --steps 3

Single thread, float32, batch 1: nn.LSTM(1, H, L) + nn.Linear(H, 1) on every step's output,
MSE over a window of W = 32 one-step-ahead predictions, backward through the window from a
zero state, clip_grad_norm_(1.0), Adam(lr 1e-3). Prints one line: '@@BENCH ' + JSON.
"""

import argparse
import json
import math
import statistics
import time

import torch

W = 32
HORIZON = 50
MAX_NORM = 1.0
LR = 1e-3
SERIES_LENGTH = 4096
RESULT_PREFIX = "@@BENCH "


def make_series(n):
    """Same as makeSeries in bench/common.ts (plain loops, same order of operations)."""
    raw = []
    s = 12345
    for i in range(n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        u = (s / 4294967296) * 2 - 1
        raw.append(
            math.sin((2 * math.pi * i) / 40) + 0.5 * math.sin((2 * math.pi * i) / 97) + 0.1 * u
        )
    mean = 0.0
    for v in raw:
        mean += v
    mean /= n
    var = 0.0
    for v in raw:
        var += (v - mean) ** 2
    std = math.sqrt(var / n)
    return [(v - mean) / std for v in raw]


class Model(torch.nn.Module):
    def __init__(self, hidden, layers):
        super().__init__()
        self.lstm = torch.nn.LSTM(1, hidden, layers)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):  # x (W, 1, 1)
        out, _ = self.lstm(x)
        return self.head(out)  # (W, 1, 1)


def make_step(model, opt):
    params = list(model.parameters())
    loss_fn = torch.nn.MSELoss()

    def step(x, target):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, MAX_NORM)
        opt.step()
        return loss.item()

    return step


def windows(series):
    """Yields (x, target) tensors (W, 1, 1), sliding by one as in bench/common.ts."""
    t = torch.tensor(series, dtype=torch.float32)
    pos = 0
    while True:
        yield t[pos : pos + W].view(W, 1, 1), t[pos + 1 : pos + W + 1].view(W, 1, 1)
        pos = 0 if pos + W + 1 >= len(series) else pos + 1


def measure_rate(fn, runs, min_time, warmup):
    t0 = time.perf_counter()
    calls = 0
    while True:
        fn()
        calls += 1
        if time.perf_counter() - t0 >= warmup and calls >= 3:
            break
    rates = []
    for _ in range(runs):
        n = 0
        t0 = time.perf_counter()
        while True:
            fn()
            n += 1
            t1 = time.perf_counter()
            if t1 - t0 >= min_time:
                break
        rates.append(n / (t1 - t0))
    return statistics.median(rates), rates


def measure_latency(fn, seconds):
    for _ in range(10):
        fn()
    samples = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(samples) < 5:
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    s = sorted(samples)
    return {
        "medianMs": statistics.median(s),
        "p90Ms": s[min(len(s) - 1, int(0.9 * len(s)))],
        "samples": len(s),
    }


def bench(a):
    torch.manual_seed(0)
    model = Model(a.hidden, a.layers)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    step = make_step(model, opt)
    series = make_series(SERIES_LENGTH)
    it = windows(series)
    losses = []

    def one():
        x, target = next(it)
        losses.append(step(x, target))

    one()
    rate, runs = measure_rate(one, a.runs, a.min_time, a.warmup)

    # Forecast from a warm state: nn.LSTM stepped one input at a time.
    lstm, head = model.lstm, model.head
    with torch.inference_mode():
        xs = torch.tensor(series[100 : 100 + W], dtype=torch.float32).view(W, 1, 1)
        _, (h0, c0) = lstm(xs)
        last = torch.tensor([[[series[100 + W - 1]]]], dtype=torch.float32)

        def forecast():
            h, c, v = h0, c0, last
            outs = []
            for _ in range(HORIZON):
                o, (h, c) = lstm(v, (h, c))
                v = head(o)
                outs.append(v)
            return torch.cat(outs).view(-1).tolist()

        lat = measure_latency(forecast, a.forecast_time)
    return {
        "impl": "torch",
        "hidden": a.hidden,
        "layers": a.layers,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "stepsPerSec": rate,
        "runs": runs,
        "firstLoss": losses[0],
        "lastLoss": losses[-1],
        "forecast": lat,
    }


def parity(a):
    """From torch's default init (seed 0), `steps` steps; the initial weights, the windows,
    every step's loss and the parameters after the last step."""
    series = make_series(SERIES_LENGTH)[: W + a.steps + 1]
    out = []
    for name in a.configs.split(","):
        hidden, layers = (int(v) for v in name.split("x"))
        torch.manual_seed(0)
        model = Model(hidden, layers)
        init = {k: v.tolist() for k, v in model.state_dict().items()}
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        step = make_step(model, opt)
        it = windows(series)
        losses = [step(*next(it)) for _ in range(a.steps)]
        final = {k: v.tolist() for k, v in model.state_dict().items()}
        out.append(
            {"hidden": hidden, "layers": layers, "init": init, "losses": losses, "final": final}
        )
    f32 = torch.tensor(series, dtype=torch.float32).tolist()
    return {"impl": "torch-parity", "torch": torch.__version__, "series": f32, "cases": out}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--min-time", type=float, default=0.3)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--forecast-time", type=float, default=0.5)
    p.add_argument("--parity", action="store_true")
    p.add_argument("--configs", default="32x1")
    p.add_argument("--steps", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    result = parity(a) if a.parity else bench(a)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
