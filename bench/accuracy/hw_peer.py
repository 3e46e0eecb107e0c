#!/usr/bin/python3
"""The accuracy benchmark's Holt-Winters peer ("hw"): statsmodels' ExponentialSmoothing, run
prequentially like every other method (bench/accuracy.bench.ts).

Input on stdin, one JSON object:
    {"h": 12, "refit": 12, "series": [{"name": ..., "values": [...], "period": 12, "burnIn": 50}]}
Output on stdout, one JSON line per series, in input order:
    {"name": ..., "mean": [origins * h numbers, row-major], "ms": ..., "fits": ..., "note": ...}
where origin o is the forecast made after seeing values[0 .. burnIn - 1 + o].

The model: additive damped trend, and a season of `period` when the history holds at least two
full seasons plus two values: multiplicative when the history so far is positive and its AIC is
lower than the additive one's (both are fitted), additive otherwise. Initial states estimated with
the other parameters for a season of up to 24, the heuristic initialisation beyond (estimating
52 or 365 initial indices per fit would take minutes). Fitted at the first origin and refitted
when the history has grown by max(refit, 10%, one season) since the last fit, or when it
first holds enough for the season; between refits the fitted
parameters are kept and the state (level, trend, seasonal indices) is updated at every new value
by statsmodels' own recursions (holtwinters/model.py, _predict), so every forecast starts from
the newest value, not from the last fit. `--check` verifies that recursion against statsmodels
re-filtering the longer history with the same fixed parameters.

Progress goes to stderr. Needs numpy and statsmodels (Debian: python3-statsmodels).
"""

import json
import math
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
from statsmodels.tsa.holtwinters import ExponentialSmoothing  # noqa: E402

ESTIMATED_MAX_PERIOD = 24


class State:
    """The fitted parameters and the current state of one Holt-Winters model."""

    def __init__(self, res, m, seasonal):
        p = res.params
        self.alpha = float(p["smoothing_level"])
        self.beta = float(p["smoothing_trend"])
        self.phi = float(p["damping_trend"])
        self.m = m
        self.seasonal = seasonal  # None, "add" or "mul"
        self.gamma = float(p["smoothing_seasonal"]) if seasonal else 0.0
        self.level = float(np.asarray(res.level)[-1])
        self.trend = float(np.asarray(res.trend)[-1])
        # s[0] is the index for the next value, s[m-1] the one updated last
        self.s = [float(v) for v in np.asarray(res.season)[-m:]] if seasonal else []

    def update(self, y):
        """statsmodels' recursions for one new value (the damped additive trend)."""
        a, b, g, phi = self.alpha, self.beta, self.gamma, self.phi
        prev = self.level + phi * self.trend  # trended(l[i-1], dampen(b[i-1], phi))
        if self.seasonal == "mul":
            level = a * y / self.s[0] + (1 - a) * prev
            snew = g * y / prev + (1 - g) * self.s[0]
        elif self.seasonal == "add":
            level = a * (y - self.s[0]) + (1 - a) * prev
            snew = g * (y - prev) + (1 - g) * self.s[0]
        else:
            level = a * y + (1 - a) * prev
            snew = None
        self.trend = b * (level - self.level) + (1 - b) * phi * self.trend
        self.level = level
        if snew is not None:
            self.s.pop(0)
            self.s.append(snew)

    def forecast(self, h):
        out = []
        damp = 0.0
        pk = 1.0
        for k in range(1, h + 1):
            pk *= self.phi
            damp += pk
            base = self.level + damp * self.trend
            if self.seasonal == "mul":
                out.append(base * self.s[(k - 1) % self.m])
            elif self.seasonal == "add":
                out.append(base + self.s[(k - 1) % self.m])
            else:
                out.append(base)
        return out


def fit(y, period):
    """Fits on the history y; returns (State, description) or (None, reason)."""
    n = len(y)
    if n < 10:
        return None, "too short"
    m = period if period >= 2 and n >= 2 * period + 2 else 0
    candidates = []
    if m:
        candidates.append("add")
        if np.all(y > 0):
            candidates.append("mul")
    else:
        candidates.append(None)
    best = None
    last_error = ""
    for seasonal in candidates:
        try:
            model = ExponentialSmoothing(
                y,
                trend="add",
                damped_trend=True,
                seasonal=seasonal,
                seasonal_periods=m if seasonal else None,
                initialization_method=(
                    "estimated" if not seasonal or m <= ESTIMATED_MAX_PERIOD else "heuristic"
                ),
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = model.fit()
        except Exception as e:  # noqa: BLE001 - a failed fit falls back, with its reason counted
            last_error = f"{type(e).__name__}: {e}"
            continue
        aic = float(res.aic)
        if not math.isfinite(aic):
            aic = math.inf
        if best is None or aic < best[0]:
            best = (aic, res, seasonal)
    if best is None:
        return None, last_error
    _, res, seasonal = best
    return State(res, m, seasonal), seasonal or "none"


def run_series(s, h, refit):
    y = np.asarray(s["values"], dtype=float)
    n = len(y)
    burn = int(s["burnIn"])
    period = int(s.get("period", 0))
    origins = n - burn
    mean = []
    state = None
    fit_at = -1
    season_tried = False
    fits = 0
    failures = 0
    kinds = {}
    reason = ""
    t0 = time.perf_counter()
    for o in range(origins):
        seen = burn + o  # values[0 .. seen - 1] are known
        gap = max(refit, math.ceil(0.1 * fit_at), period)
        season_possible = period >= 2 and seen >= 2 * period + 2 and not season_tried
        if fit_at < 0 or seen - fit_at >= gap or season_possible:
            season_tried = season_tried or (period >= 2 and seen >= 2 * period + 2)
            st, what = fit(y[:seen], period)
            fit_at = seen
            if st is None:
                failures += 1
                reason = what
                if state is not None:  # keep the previous fit, brought up to date
                    state.update(float(y[seen - 1]))
            else:
                state = st
                fits += 1
                kinds[what] = kinds.get(what, 0) + 1
        elif state is not None:
            state.update(float(y[seen - 1]))
        fc = state.forecast(h) if state is not None else None
        if fc is None or not all(math.isfinite(v) for v in fc):
            fc = [float(y[seen - 1])] * h
        mean.extend(fc)
        if o % 500 == 0 and o > 0:
            print(f"hw {s['name']}: {o}/{origins}", file=sys.stderr, flush=True)
    ms = (time.perf_counter() - t0) * 1000
    note = f"{fits} fits (" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")"
    if failures:
        note += f", {failures} failed ({reason})"
    return {"name": s["name"], "mean": mean, "ms": ms, "fits": fits, "note": note}


def check():
    """The state recursion against statsmodels re-filtering with the same fixed parameters."""
    rng = np.random.default_rng(1)
    t = np.arange(300)
    y = (50 + 0.2 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 1, 300)
    worst = 0.0
    for seasonal in ["mul", "add", None]:
        m = 12 if seasonal else None
        res = ExponentialSmoothing(
            y[:200], trend="add", damped_trend=True, seasonal=seasonal,
            seasonal_periods=m, initialization_method="estimated",
        ).fit()
        st = State(res, 12, seasonal)
        for v in y[200:]:
            st.update(float(v))
        p = res.params
        ref = ExponentialSmoothing(
            y, trend="add", damped_trend=True, seasonal=seasonal, seasonal_periods=m,
            initialization_method="known", initial_level=p["initial_level"],
            initial_trend=p["initial_trend"],
            initial_seasonal=p["initial_seasons"] if seasonal else None,
        ).fit(
            smoothing_level=p["smoothing_level"], smoothing_trend=p["smoothing_trend"],
            smoothing_seasonal=p["smoothing_seasonal"] if seasonal else None,
            damping_trend=p["damping_trend"], optimized=False,
        )
        # statsmodels' forecast reuses a season index one cycle old at step m; compare 1..m-1
        mine = st.forecast(11)
        theirs = list(ref.forecast(11))
        d = max(abs(a - b) for a, b in zip(mine, theirs))
        d = max(d, abs(st.level - float(np.asarray(ref.level)[-1])))
        print(f"check {seasonal}: max |difference| {d:.3g}", file=sys.stderr)
        worst = max(worst, d)
    if worst > 1e-6:
        print("check FAILED", file=sys.stderr)
        sys.exit(1)
    print("check ok", file=sys.stderr)


def main():
    if "--check" in sys.argv:
        check()
        return
    job = json.load(sys.stdin)
    h = int(job["h"])
    refit = int(job["refit"])
    for s in job["series"]:
        out = run_series(s, h, refit)
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
        print(f"hw {s['name']}: done in {out['ms'] / 1000:.1f} s, {out['note']}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
