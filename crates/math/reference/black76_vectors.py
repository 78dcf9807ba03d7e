#!/usr/bin/env python3
"""Reference vectors for novation-math's integer-only Black-76 and transcendentals.

Writes, next to this script:

* ``black76_vectors.csv``: Black-76 price, delta, gamma, vega and theta for a
  few hundred inputs across the supported range (F/K in [0.2, 5],
  T in [1/365, 5] years, vol in [0.01, 5], rate in [-0.1, 0.5]), calls and
  puts, several forward scales;
* ``transcendental_vectors.csv``: exp, ln, normal pdf and cdf at selected
  points.

Everything is computed with mpmath at 50 significant digits from the exact
decimal inputs written in the CSV, then rounded half-even to 18 decimals
(the resolution of ``novation_math::Decimal``), so the reference itself is
within 0.5e-18 of the exact value. Formulas: F. Black (1976), "The pricing of
commodity contracts", J. Financial Economics 3; the Greeks are the analytic
derivatives documented in ``src/black76.rs`` (delta discounted w.r.t. the
forward, vega per 1.00 vol, theta = -dV/dT per year).

Deterministic: a fixed seed; re-running reproduces the files byte for byte.
Usage: ``pip install mpmath && python3 black76_vectors.py``.
"""

import csv
import decimal
import os
import random

import mpmath
from mpmath import mp, mpf

mp.dps = 50
decimal.getcontext().prec = 80
HERE = os.path.dirname(os.path.abspath(__file__))
Q18 = decimal.Decimal("1e-18")


def fmt(x):
    """An mpf rounded half-even to 18 decimals, printed without exponent."""
    d = decimal.Decimal(mpmath.nstr(x, 45, min_fixed=-100, max_fixed=100))
    d = d.quantize(Q18, rounding=decimal.ROUND_HALF_EVEN)
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


def dec(x, places):
    """A float rounded to `places` decimals, as an exact decimal string."""
    d = decimal.Decimal(repr(x)).quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN)
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def black76(f, k, vol, t, r, kind):
    f, k, vol, t, r = (mpf(x) for x in (f, k, vol, t, r))
    disc = mpmath.exp(-r * t)
    sd = vol * mpmath.sqrt(t)
    d1 = (mpmath.log(f / k) + sd * sd / 2) / sd
    d2 = d1 - sd
    n = mpmath.ncdf
    if kind == "call":
        price = disc * (f * n(d1) - k * n(d2))
        delta = disc * n(d1)
    else:
        price = disc * (k * n(-d2) - f * n(-d1))
        delta = -disc * n(-d1)
    pdf = mpmath.npdf(d1)
    gamma = disc * pdf / (f * sd)
    vega = disc * f * pdf * mpmath.sqrt(t)
    theta = -disc * f * pdf * vol / (2 * mpmath.sqrt(t)) + r * price
    return price, delta, gamma, vega, theta


def black76_rows():
    rng = random.Random(76)
    rows = []
    forwards = ["1", "100", "2500.5", "65000"]
    # Corners of the supported range.
    for f in forwards:
        for m in ["0.2", "1", "5"]:
            for t in ["0.002739726027397260", "5"]:
                for vol in ["0.01", "5"]:
                    for r in ["-0.1", "0.5"]:
                        k = fmt(mpf(f) / mpf(m))
                        for kind in ("call", "put"):
                            rows.append((f, k, vol, t, r, kind))
    # Random interior points: log-uniform moneyness, time and vol.
    while len(rows) < 400:
        f = rng.choice(forwards)
        m = mpmath.exp(mpf(rng.uniform(float(mpmath.log(0.2)), float(mpmath.log(5)))))
        k = dec(float(mpf(f) / m), 6)
        if not (mpf("0.2") <= mpf(f) / mpf(k) <= 5):
            continue
        days = rng.uniform(1, 5 * 365)
        t = dec(days / 365, 12)
        vol = dec(float(mpmath.exp(rng.uniform(float(mpmath.log(0.01)), float(mpmath.log(5))))), 6)
        r = dec(rng.uniform(-0.1, 0.5), 6)
        kind = rng.choice(("call", "put"))
        rows.append((f, k, vol, t, r, kind))
    out = []
    for f, k, vol, t, r, kind in rows:
        vals = black76(f, k, vol, t, r, kind)
        out.append([f, k, vol, t, r, kind] + [fmt(v) for v in vals])
    return out


def transcendental_rows():
    rng = random.Random(1976)
    xs = ["0", "1", "-1", "0.5", "-0.5", "1e-18", "-1e-18", "40", "-40", "46.5", "-42", "5", "-5", "9.5", "-9.5"]
    xs = [fmt(mpf(x)) for x in xs]
    for _ in range(300):
        xs.append(dec(rng.uniform(-12, 12), 18 if rng.random() < 0.5 else 6))
    for _ in range(100):
        xs.append(dec(rng.uniform(-42, 46.5), 15))
    out = []
    for x in xs:
        v = mpf(x)
        e = fmt(mpmath.exp(v)) if v <= mpf("46.5") else ""
        ln = fmt(mpmath.log(v)) if v > 0 else ""
        out.append([x, e, ln, fmt(mpmath.npdf(v)), fmt(mpmath.ncdf(v))])
    # ln over the whole positive range.
    for p in range(-18, 21):
        for mant in ("1", "1.5", "3.14159", "7"):
            x = fmt(mpf(mant) * mpf(10) ** p)
            if mpf(x) > 0 and mpf(x) < mpf(2) ** 127 / mpf(10) ** 18:
                out.append([x, "", fmt(mpmath.log(mpf(x))), "", ""])
    return out


def main():
    with open(os.path.join(HERE, "black76_vectors.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["forward", "strike", "vol", "time_years", "rate", "kind", "price", "delta", "gamma", "vega", "theta"])
        w.writerows(black76_rows())
    with open(os.path.join(HERE, "transcendental_vectors.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["x", "exp", "ln", "normal_pdf", "normal_cdf"])
        w.writerows(transcendental_rows())


if __name__ == "__main__":
    main()
