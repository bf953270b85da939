#!/usr/bin/python3
"""Solve bench_solve's decisions (its --dump) with AIBrix's ILP in PuLP and CBC, side by side.

The model is AIBrix's MelangeSolver formulation (the project's docs/optimizer.md, "AIBrix's
ILP"): every bucket of the grid cut into slice_factor slices, one binary per slice and GPU type,
one integer unit count per type, each slice on one type, each type's slice load at most its
units, least total cost; rates scaled by gpu_fraction and costs divided by it, as AIBrix's
monitor does. Written for this benchmark from that description. One difference, in CBC's
favour: a type with tput 0 for a bucket gets no variable for its slices (AIBrix gives them a
load of 1e6, which makes CBC slower and sometimes wrong).

Each decision is timed as AIBrix pays for it (with a time limit of CBC_SECONDS, which AIBrix
does not set): build the PuLP problem, write it, run CBC
(Debian's `cbc` through PuLP's COIN_CMD; AIBrix's pinned pulp runs its bundled CBC the same
way), read the answer. The costs are compared with podscale's (relative 1e-9).

The solver cases (tests/data/solver-cases/NAME: profiles p*.json and rates.csv) come as
`--case NAME DIR DECISIONS`: DECISIONS holds `podscale solve`'s JSON lines for the case, one
per run; its solve_ms are podscale's times, and the instance is read back from the profiles
and the decision's rates.

  solve_vs_cbc.py DUMP [--limit N] [--case NAME DIR DECISIONS]...
  (run by tests/bench/solve_vs_cbc.sh)
"""
import glob
import json
import math
import os
import statistics
import sys
import time

import pulp


CBC_SECONDS = 60  # a time limit AIBrix does not set: CBC ran 5 minutes on a crossover decision


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
                return None, False  # no type serves it; podscale reports it uncovered
    for g in range(n_types):
        prob += pulp.lpSum(load[g]) <= y[g]
        if fixed_units is not None:
            prob += y[g] == fixed_units[g]
    prob += pulp.lpSum(d["cost"][g] / f * y[g] for g in range(n_types))
    prob.solve(pulp.COIN_CMD(msg=0, timeLimit=CBC_SECONDS))
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return float("nan"), False
    cost = sum(int(round(y[g].value())) * (d["cost"][g] / f) for g in range(n_types))
    return cost, prob.sol_status == pulp.LpSolutionOptimal  # False: stopped at the time limit


def case_rows(name, folder, decisions):
    """A solver case as bench_solve's dump rows, one per `podscale solve` run."""
    profiles = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(folder, "p*.json")))]
    rows = []
    with open(decisions) as fh:
        for line in fh:
            dec = json.loads(line)
            n_out, n_in = len(dec["grid"]["out"]), len(dec["grid"]["in"])
            rates = [0.0] * (n_out * n_in)
            for i, j, r in dec["rates"]:
                rates[i * n_in + j] += r
            mine = {"cost": dec["cost"], "optimal": dec.get("optimal", True),
                    "gap": dec.get("gap", 0.0), "ms": dec["solve_ms"],
                    "units": [d["units"] for d in dec["deployments"]]}
            rows.append({"set": name, "n_out": n_out, "n_in": n_in,
                         "slice_factor": dec["options"]["slice_factor"],
                         "gpu_fraction": dec["options"]["gpu_fraction"], "rates": rates,
                         "cost": [p["cost"] for p in profiles],
                         "tputs": [[t for row in p["tputs"] for t in row] for p in profiles],
                         "podscale": mine})
    return rows


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    limit, cases = None, []
    i = 1
    while i < len(args):
        if args[i] == "--limit" and i + 1 < len(args):
            limit = int(args[i + 1])
            i += 2
        elif args[i] == "--case" and i + 3 < len(args):
            cases.append(args[i + 1:i + 4])
            i += 4
        else:
            print(__doc__, file=sys.stderr)
            return 2
    sets = {}
    with open(args[0]) as fh:
        for line in fh:
            d = json.loads(line)
            rows = sets.setdefault(d["set"], [])
            if limit is None or len(rows) < limit:
                rows.append(d)
    for name, folder, decisions in cases:
        sets[name] = case_rows(name, folder, decisions)[:limit]
    print(f"{'set':<22} {'n':>4} {'podscale median':>16} {'worst':>9} {'CBC median':>11} "
          f"{'worst':>10} {'ratio of medians':>17} {'least ratio':>12} {'costs differ':>13} "
          f"{'CBC stopped':>12}")
    for name, rows in sets.items():
        ps, cb, ratios, differ, stopped = [], [], [], 0, 0
        for d in rows:
            t0 = time.perf_counter()
            cost, proven = solve_cbc(d)
            ms = (time.perf_counter() - t0) * 1e3
            if cost is None:
                continue
            stopped += not proven
            mine = d["podscale"]
            ps.append(mine["ms"])
            cb.append(ms)
            ratios.append(ms / max(mine["ms"], 1e-6))
            if not abs(cost - mine["cost"]) <= 1e-9 * max(1.0, abs(cost)):
                differ += 1
                note = ""
                if mine["cost"] < cost:  # is podscale's answer feasible in CBC's eyes?
                    ok, _ = solve_cbc(d, mine["units"])
                    note = ", CBC finds podscale's units " + (
                        "INFEASIBLE" if math.isnan(ok) else "feasible: CBC's answer was not optimal")
                print(f"  {name}: CBC cost {cost!r}{'' if proven else ' (stopped at its time limit)'}, "
                      f"podscale {mine['cost']!r} "
                      f"(optimal {mine['optimal']}, gap {mine['gap']:.3g}){note}", file=sys.stderr)
        if not ps:
            continue
        pm, cm = statistics.median(ps), statistics.median(cb)
        print(f"{name:<22} {len(ps):>4} {pm:>13.4f} ms {max(ps):>6.2f} ms {cm:>8.1f} ms "
              f"{max(cb):>7.0f} ms {cm / pm:>16.0f}x {min(ratios):>11.1f}x {differ:>13} "
              f"{stopped:>12}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
