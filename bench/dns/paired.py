#!/usr/bin/env python3
"""Paired CPU-per-query comparison of one run of ../shared/peers/dns-peers.sh.

usage: paired.py RESULTS_DIR [REFERENCE]        CPU per query (REFERENCE: default gdnsd)
       paired.py --p99 P99_DIR [REFERENCE]      bench/dns/run.sh's sampled p99, the same way

The harness's summary gives each target's median CPU per query over the repetitions. Two
targets running the same code differ by 4-6 % in those medians (docs/dns-performance.md),
because the machine drifts over a run. But the harness runs every target once per repetition
and mix, one after another, so a target and the reference of the same repetition measured
within seconds of each other. This script takes their ratio per repetition, so the drift
between repetitions cancels. It prints the median ratio per target and mix, with a
distribution-free 95 % confidence interval for that median (order statistics of the binomial
distribution). It also counts the repetitions where the target used less CPU per query than
the reference, with a two-sided sign test.

"At or below the reference" is shown when the interval's upper bound is at most 1.00.
"Level" means the interval contains 1.00.
"""
import csv
import math
import os
import re
import sys


def cpu_us_per_query(results_dir, run):
    """Server CPU µs per query of one dnsperf run, as the harness's summary computes it."""
    with open(os.path.join(results_dir, run["raw"]), errors="replace") as f:
        text = f.read()
    match = re.search(r"Queries per second:\s+([\d.]+)", text)
    qps = float(match.group(1)) if match else 0.0
    cpu = run.get("proc_cpu", "-")
    if cpu in ("", "-"):
        cpu = run["cpu_server"]
    if qps <= 0:
        return None
    return float(cpu) / 100 * 1e6 / qps


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def median_interval(values, confidence=0.95):
    """The widest-k order statistics [x_(k), x_(n-k+1)] covering the median with the confidence
    asked for; None when there are too few values for any such interval (n < 6 at 95 %)."""
    ordered = sorted(values)
    n = len(ordered)
    best = None
    for k in range(1, n // 2 + 1):
        # P(x_(k) <= median <= x_(n-k+1)) = 1 - 2 P(Binomial(n, 1/2) < k)
        tail = sum(math.comb(n, i) for i in range(k)) / 2**n
        if 1 - 2 * tail >= confidence:
            best = (ordered[k - 1], ordered[n - k])
        else:
            break
    return best


def sign_test(below, above):
    """Two-sided p-value of seeing this many repetitions below rather than above."""
    n = below + above
    if n == 0:
        return 1.0
    extreme = min(below, above)
    tail = sum(math.comb(n, i) for i in range(extreme + 1)) / 2**n
    return min(1.0, 2 * tail)


def cpu_costs(results_dir):
    """(target, mix, rep) -> server CPU µs per query, from the harness's runs.tsv."""
    runs_file = os.path.join(results_dir, "runs.tsv")
    try:
        with open(runs_file) as f:
            runs = list(csv.DictReader(f, delimiter="\t"))
    except OSError as error:
        raise SystemExit(f"paired.py: cannot read {runs_file}: {error.strerror}; pass the directory"
                         " dns-peers.sh wrote (its -o, or the results/dns-<timestamp> it printed)")
    costs = {}
    for run in runs:
        value = cpu_us_per_query(results_dir, run)
        if value is not None:
            costs[(run["target"], run["mix"], run["rep"])] = value
    return costs


def sampled_p99s(p99_dir):
    """(target, mix, rep) -> p99 µs, from bench/dns/run.sh's p99 pass (NAME.MIX.REP.sampler)."""
    costs = {}
    try:
        names = sorted(os.listdir(p99_dir))
    except OSError as error:
        raise SystemExit(f"paired.py: cannot read {p99_dir}: {error.strerror}; pass run.sh's p99 directory")
    for file_name in names:
        if not file_name.endswith(".sampler"):
            continue
        target, mix, rep = file_name[: -len(".sampler")].rsplit(".", 2)
        with open(os.path.join(p99_dir, file_name)) as f:
            words = f.read().split()
        fields = dict(zip(words[::2], words[1::2]))
        if "p99_us" in fields:
            costs[(target, mix, rep)] = float(fields["p99_us"])
    return costs


def print_paired(costs, reference, what):
    targets, mixes = [], []
    for target, mix, _ in costs:
        if target not in targets:
            targets.append(target)
        if mix not in mixes:
            mixes.append(mix)
    if reference not in targets:
        raise SystemExit(f"paired.py: no target named {reference} in the results (targets: {', '.join(targets)});"
                         " pass the reference target as the last argument")
    print(f"\nPaired against {reference}: {what} of the target / {reference}'s, per repetition"
          " (measured seconds apart)\n")
    print(f"| target | mix | pairs | median ratio | 95 % interval of the median | reps below {reference} |"
          f" sign test p | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for mix in mixes:
        for target in targets:
            if target == reference:
                continue
            ratios = [value / costs[(reference, mix, rep)] for (name, run_mix, rep), value in costs.items()
                      if name == target and run_mix == mix and costs.get((reference, mix, rep))]
            if not ratios:
                continue
            interval = median_interval(ratios)
            below = sum(r < 1 for r in ratios)
            above = sum(r > 1 for r in ratios)
            if interval is None:
                shown, verdict = "(needs ≥ 6 repetitions)", "—"
            else:
                shown = f"{interval[0]:.3f}–{interval[1]:.3f}"
                if interval[1] <= 1.0:
                    verdict = "at or below"
                elif interval[0] > 1.0:
                    verdict = "above"
                else:
                    verdict = "level"
            print(f"| {target} | {mix} | {len(ratios)} | {median(ratios):.3f} | {shown} | {below} of {len(ratios)} |"
                  f" {sign_test(below, above):.3f} | {verdict} |")


def main():
    args = sys.argv[1:]
    p99 = bool(args) and args[0] == "--p99"
    if p99:
        args = args[1:]
    if len(args) not in (1, 2):
        print("usage: paired.py [--p99] DIRECTORY [REFERENCE]", file=sys.stderr)
        return 2
    reference = args[1] if len(args) == 2 else "gdnsd"
    if p99:
        print_paired(sampled_p99s(args[0]), reference, "sampled p99 latency")
    else:
        print_paired(cpu_costs(args[0]), reference, "server CPU per query")
    return 0


if __name__ == "__main__":
    sys.exit(main())
