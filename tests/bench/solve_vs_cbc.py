#!/usr/bin/python3
"""Solve bench_solve's decisions (its --dump) with AIBrix's ILP in PuLP and CBC, side by side.

The model is AIBrix's MelangeSolver formulation (the project's docs/optimizer.md, "AIBrix's
ILP"): every bucket of the grid cut into slice_factor slices, one binary per slice and GPU type,
one integer unit count per type, each slice on one type, each type's slice load at most its
units, least total cost; rates scaled by gpu_fraction and costs divided by it, as AIBrix's
monitor does. Written for this benchmark from that description. One difference, in CBC's
favour: a type with tput 0 for a bucket gets no variable for its slices (AIBrix gives them a
load of 1e6, which makes CBC slower and sometimes wrong).

Each decision is timed as AIBrix pays for it: build the PuLP problem, write it, run CBC
(Debian's `cbc` through PuLP's COIN_CMD; AIBrix's pinned pulp runs its bundled CBC the same
way), read the answer. The costs are compared with podscale's (relative 1e-9).

  solve_vs_cbc.py DUMP [--limit N]   (run by tests/bench/solve_vs_cbc.sh)
"""
import json
import math
import statistics
import sys
import time

import pulp


def solve_cbc(d, fixed_units=None):
    """AIBrix's ILP; with fixed_units, only whether those unit counts can carry the slices."""
    f = d["gpu_fraction"]
    s = d["slice_factor"]
    n_types = len(d["cost"])
    prob = pulp.LpProblem("melange", pulp.LpMinimize)
    y = [pulp.LpVariable(f"y{g}", lowBound=0, cat="Integer") for g in range(n_types)]
    load = [[] for _ in range(n_types)]
    for b, rate in enumerate(d["rates"]):
        for k in range(s):
            xs = []
            for g in range(n_types):
                t = d["tputs"][g][b]
                if t == 0:
                    continue
                x = pulp.LpVariable(f"x{b}_{k}_{g}", cat="Binary")
                xs.append(x)
                load[g].append((rate * f / s) / t * x)
            if xs:
                prob += pulp.lpSum(xs) == 1
            elif rate > 0:
                return None  # no type serves it; podscale reports it uncovered
    for g in range(n_types):
        prob += pulp.lpSum(load[g]) <= y[g]
        if fixed_units is not None:
            prob += y[g] == fixed_units[g]
    prob += pulp.lpSum(d["cost"][g] / f * y[g] for g in range(n_types))
    status = prob.solve(pulp.COIN_CMD(msg=0))
    if pulp.LpStatus[status] != "Optimal":
        return float("nan")
    return sum(int(round(y[g].value())) * (d["cost"][g] / f) for g in range(n_types))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    limit = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--limit" else None
    sets = {}
    with open(sys.argv[1]) as fh:
        for line in fh:
            d = json.loads(line)
            rows = sets.setdefault(d["set"], [])
            if limit is None or len(rows) < limit:
                rows.append(d)
    print(f"{'set':<10} {'n':>5} {'podscale median':>16} {'worst':>9} {'CBC median':>11} "
          f"{'worst':>9} {'ratio of medians':>17} {'least ratio':>12} {'cost differs':>13}")
    for name, rows in sets.items():
        ps, cb, ratios, differ = [], [], [], 0
        for d in rows:
            t0 = time.perf_counter()
            cost = solve_cbc(d)
            ms = (time.perf_counter() - t0) * 1e3
            if cost is None:
                continue
            mine = d["podscale"]
            ps.append(mine["ms"])
            cb.append(ms)
            ratios.append(ms / max(mine["ms"], 1e-6))
            if not abs(cost - mine["cost"]) <= 1e-9 * max(1.0, abs(cost)):
                differ += 1
                note = ""
                if mine["cost"] < cost:  # is podscale's answer feasible in CBC's eyes?
                    ok = solve_cbc(d, mine["units"])
                    note = ", CBC finds podscale's units " + (
                        "INFEASIBLE" if math.isnan(ok) else "feasible: CBC's answer was not optimal")
                print(f"  {name}: CBC cost {cost!r}, podscale {mine['cost']!r} "
                      f"(optimal {mine['optimal']}, gap {mine['gap']:.3g}){note}", file=sys.stderr)
        if not ps:
            continue
        pm, cm = statistics.median(ps), statistics.median(cb)
        print(f"{name:<10} {len(ps):>5} {pm:>13.4f} ms {max(ps):>6.2f} ms {cm:>8.2f} ms "
              f"{max(cb):>6.1f} ms {cm / pm:>16.0f}x {min(ratios):>11.1f}x {differ:>13}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
