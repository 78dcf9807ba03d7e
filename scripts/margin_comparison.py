#!/usr/bin/env python3
"""Compare novation's portfolio and standard option margin with Derive's published
Portfolio Margin Risk Manager on a set of standard portfolios, and print the Markdown table
of docs/margin.md.

Derive's rules are implemented from its public code (github.com/derivexyz/v2-core,
src/risk-managers/PMRMLib.sol, PMRM v1) with the mainnet parameters of
scripts/config-mainnet.sol (getDefaultScenarios, getPMRMParams); the oracle-confidence and
stable-peg contingencies are left out (they are zero with confident prices and a pegged
stable). novation's rules are those of crates/protocol/src/risk/{scenarios,portfolio}.rs with
the default parameters of crates/protocol/src/params/portfolio.rs, in floating point (the
chain computes them in fixed point and rounds requirements up, a difference far below the
table's precision).

Runs offline with the Python standard library:  python3 scripts/margin_comparison.py
"""
import math

DAY = 1.0 / 365.0
S0 = 60_000.0  # index, USD per BTC
VOL = 0.60     # flat implied volatility


def ncdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def black76(kind, forward, strike, vol, t):
    if t <= 0 or vol <= 0:
        return max(forward - strike, 0.0) if kind == "C" else max(strike - forward, 0.0)
    sd = vol * math.sqrt(t)
    d1 = (math.log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    call = forward * ncdf(d1) - strike * ncdf(d2)
    return call if kind == "C" else call - forward + strike


# A leg: ("C"|"P", strike, days, size) for options, ("PERP", None, None, size), ("FUT", None, days, size).
def option_legs(legs):
    return [l for l in legs if l[0] in ("C", "P")]


def value(leg, spot_mult, vol_mult_of_days):
    kind, strike, days, size = leg
    if kind in ("PERP", "FUT"):
        return size * S0 * spot_mult
    return size * black76(kind, S0 * spot_mult, strike, VOL * vol_mult_of_days(days), days * DAY)


def naked_contracts(legs):
    by_strike = {}
    for kind, strike, days, size in option_legs(legs):
        shorts, longs = by_strike.get((days, strike), (0.0, 0.0))
        by_strike[(days, strike)] = (shorts + max(-size, 0), longs + max(size, 0))
    return sum(max(s - l, 0.0) for s, l in by_strike.values())


def expiries(legs):
    return sorted({l[2] for l in legs if l[0] in ("C", "P")})


def expiry_value(legs, days, spot_mult, vol_mult, weight=None):
    v = sum(value(l, spot_mult, vol_mult) for l in option_legs(legs) if l[2] == days)
    if weight is not None and v > 0:
        v *= weight
    return v


# ---------------------------------------------------------------- Derive PMRM v1 (mainnet)
DERIVE_SCENARIOS = [(1.20, "up")] + [(m, d) for m in (1.15, 1.10, 1.05, 1.00, 0.95, 0.90, 0.85)
                                     for d in ("up", "none", "down")] + [(0.80, "up")]


def derive_vol_mult(days, direction):
    if direction == "none":
        return 1.0
    tau = 30.0 / max(days, 1.0)
    mult = tau ** (0.3 if days <= 30 else 0.13)
    return 1.0 + 0.6 * mult if direction == "up" else max(0.0, 1.0 - 0.3 * mult)


def derive(legs):
    lin = [l for l in legs if l[0] in ("PERP", "FUT")]
    def scenario_mtm(spot, direction):
        total = 0.0
        for days in expiries(legs):
            weight = 0.95 * math.exp(-days * DAY * 0.12)
            shocked = expiry_value(legs, days, spot, lambda d: derive_vol_mult(d, direction))
            if shocked > 0:
                shocked *= weight
            total += shocked - expiry_value(legs, days, 1.0, lambda d: 1.0)
        total += sum(l[3] * S0 * (spot - 1.0) for l in lin)
        return total
    basis = 0.0
    for days in expiries(legs):
        now = expiry_value(legs, days, 1.0, lambda d: 1.0)
        up = expiry_value(legs, days, 1.05, lambda d: 1.0) - now
        down = expiry_value(legs, days, 0.95, lambda d: 1.0) - now
        basis += min(up, down, 0.0) * (1.0 + 1.2 * days * DAY)
    min_span = min([basis] + [scenario_mtm(m, d) for m, d in DERIVE_SCENARIOS])
    static = 0.03 * sum(abs(l[3]) for l in lin) * S0 + 0.02 * naked_contracts(legs) * S0
    mm = -(min_span - static)
    return 1.25 * mm, mm


# ---------------------------------------------------------------- novation (defaults)
NOV_MOVES = [q * 0.05 for q in range(-4, 5)]


def nov_vol_mult(days, direction):
    if direction == "none":
        return 1.0
    ratio = 30.0 / max(days, 1.0)
    scale = ratio ** (0.3 if days <= 30 else 0.13)
    if direction == "up":
        return 1.0 + max(1.0, 0.6 * scale)
    return max(0.0, 1.0 - max(0.5, 0.3 * scale))


def novation(legs):
    lin = [l for l in legs if l[0] in ("PERP", "FUT")]
    def pnl(spot, direction):
        total = 0.0
        for days in expiries(legs):
            weight = 0.95 * math.exp(-0.12 * days * DAY)
            vm = lambda d: nov_vol_mult(d, direction)
            shocked = expiry_value(legs, days, spot, lambda d: max(vm(d), 0.01 / VOL))
            if shocked > 0:
                shocked *= weight
            total += shocked - expiry_value(legs, days, 1.0, lambda d: 1.0)
        total += sum(l[3] * S0 * (spot - 1.0) for l in lin)
        return total
    losses = [-pnl(1.0 + m, d) for m in NOV_MOVES for d in ("up", "down")]
    losses += [-0.33 * pnl(1.4, "none"), -0.33 * pnl(0.6, "none")]
    scenario = max(losses + [0.0])
    basis = 0.0
    dated = sorted(set(expiries(legs)) | {l[2] for l in lin if l[0] == "FUT"})
    for days in dated:
        group = [l for l in legs if l[2] == days]
        now = sum(value(l, 1.0, lambda d: 1.0) for l in group)
        worst = min(sum(value(l, m, lambda d: 1.0) for l in group) - now for m in (1.05, 0.95))
        basis += max(-worst, 0.0) * (1.0 + 1.2 * days * DAY)
    mm = max(scenario, basis) + 0.02 * naked_contracts(legs) * S0 + 0.03 * sum(abs(l[3]) for l in lin) * S0
    im = 1.25 * mm
    long_only = not lin and all(l[3] > 0 for l in legs)
    if long_only:
        return min(im, 1.25 * sum(value(l, 1.0, lambda d: 1.0) for l in legs)), 0.0
    return im, mm


def standard(legs):
    """novation standard margin of option legs (each leg on its own), initial."""
    total = 0.0
    for leg in legs:
        kind, strike, days, size = leg
        if size > 0:
            total += 1.25 * size * value(leg, 1.0, lambda d: 1.0)
            continue
        otm = max(strike - S0, 0.0) if kind == "C" else max(S0 - strike, 0.0)
        formula = max(0.15 * S0 - otm, 0.10 * S0)
        if kind == "P":
            formula = min(formula, strike)
        own, _ = novation([(kind, strike, days, -1.0)])
        total += -size * max(formula, own)
    return total


def stress_loss(legs):
    """Worst loss: index ×0.80…×1.20 in 1% steps × vol ×0.5…×2.0 in 0.1 steps, and ±40% at 33%."""
    now = sum(value(l, 1.0, lambda d: 1.0) for l in legs)
    worst = 0.0
    for m in range(-20, 21):
        for k in range(5, 21):
            v = sum(value(l, 1.0 + m / 100.0, lambda d: k / 10.0) for l in legs)
            worst = max(worst, now - v)
    for m in (1.4, 0.6):
        worst = max(worst, 0.33 * (now - sum(value(l, m, lambda d: 1.0) for l in legs)))
    return worst


W = 7  # the weekly expiry, days
K = S0
PORTFOLIOS = [
    ("naked short ATM call", [("C", K, W, -1)]),
    ("short 8%-OTM put", [("P", 0.92 * K, W, -1)]),
    ("covered call (long perp, short ATM call)", [("PERP", None, None, 1), ("C", K, W, -1)]),
    ("short straddle", [("C", K, W, -1), ("P", K, W, -1)]),
    ("short 10% strangle", [("C", 1.1 * K, W, -1), ("P", 0.9 * K, W, -1)]),
    ("bull call spread (100/110)", [("C", K, W, 1), ("C", 1.1 * K, W, -1)]),
    ("long butterfly (90/100/110)", [("C", 0.9 * K, W, 1), ("C", K, W, -2), ("C", 1.1 * K, W, 1)]),
    ("calendar spread (short 7 d, long 28 d)", [("C", K, W, -1), ("C", K, 28, 1)]),
    ("long ATM call", [("C", K, W, 1)]),
    ("short ATM call, 3 days", [("C", K, 3, -1)]),
    ("10-leg book", [("C", 0.9 * K, W, -1), ("C", K, W, 2), ("C", 1.1 * K, W, -2), ("P", 0.9 * K, W, 1),
                     ("P", 0.95 * K, W, -2), ("C", K, 28, -1), ("P", K, 28, 1), ("C", 1.2 * K, 28, -1),
                     ("PERP", None, None, 0.5), ("FUT", None, 28, -0.5)]),
]


def main():
    print(f"Index {S0:,.0f} USD, flat {VOL:.0%} volatility, zero rate; sizes in BTC; requirements in USD.")
    print()
    print("| portfolio | novation IM | novation MM | Derive IM | Derive MM | IM ratio | novation standard IM "
          "| stress loss | novation IM / stress | Derive IM / stress |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, legs in PORTFOLIOS:
        n_im, n_mm = novation(legs)
        d_im, d_mm = derive(legs)
        stress = stress_loss(legs)
        only_options = all(l[0] in ("C", "P") for l in legs)
        std = f"{standard(legs):,.0f}" if only_options else "-"
        ratio = lambda im: f"{im / stress:.2f}" if stress > 0 else "-"
        print(f"| {name} | {n_im:,.0f} | {n_mm:,.0f} | {d_im:,.0f} | {d_mm:,.0f} | {n_im / d_im:.2f} | {std} "
              f"| {stress:,.0f} | {ratio(n_im)} | {ratio(d_im)} |")


if __name__ == "__main__":
    main()
