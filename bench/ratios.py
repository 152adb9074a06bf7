#!/usr/bin/env python3
"""Checks citycode's performance targets in a Google Benchmark JSON file.

Usage: bench/ratios.py [build-bench/bench.json]

Reads the output of citycode_bench --benchmark_out=... --benchmark_out_format=json
(best with --benchmark_repetitions=N and random interleaving) and prints, per
algorithm, the median rates (the "per_second" counter: iterations per CPU
second) of BM_CodeMake, BM_RawVerify, BM_KeyVerify, BM_ParseCredential,
BM_VerifyCold and BM_VerifyCached, then the targets:

  cold verify    >= 0.9 x (raw verify / 2)   (a cold verify checks two signatures)
  cached verify  >= 1.7 x cold verify
  QR PNG render  <= 1 ms                     (BM_QrPng: Encode + ToPng)

Medians come from the "median" aggregates when present, else from the
individual repetitions. Exit status: 0 all PASS, 1 some FAIL, 2 missing data.
"""

import json
import statistics
import sys

ALGS = ("Ed25519", "ES256", "SM2")
COLD_TARGET = 0.9
CACHED_TARGET = 1.7
PNG_TARGET_MS = 1.0
TIME_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def load_medians(path):
    """{run_name: {"per_second": median, "cpu_ms": median}}"""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    aggregates, runs = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            print(f"error in {b.get('name')}: {b.get('error_message')}", file=sys.stderr)
            continue
        name = b.get("run_name", b["name"])
        sample = {
            "per_second": b.get("per_second"),
            "cpu_ms": b["cpu_time"] * TIME_UNIT_MS[b.get("time_unit", "ns")],
        }
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                aggregates[name] = sample
        else:
            runs.setdefault(name, []).append(sample)
    medians = dict(aggregates)
    for name, samples in runs.items():
        if name not in medians:
            medians[name] = {
                key: statistics.median(s[key] for s in samples if s[key] is not None)
                if any(s[key] is not None for s in samples) else None
                for key in ("per_second", "cpu_ms")
            }
    return data.get("context", {}), medians


def rate(medians, name):
    m = medians.get(name)
    return None if m is None else m.get("per_second")


def fmt_rate(value):
    return "n/a" if value is None else f"{value:,.0f}/s"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def main(argv):
    path = argv[1] if len(argv) > 1 else "build-bench/bench.json"
    context, medians = load_medians(path)
    if context:
        print(f"{path}: {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs, "
              f"{context.get('mhz_per_cpu', '?')} MHz, {context.get('date', '')}")

    columns = ("BM_CodeMake", "BM_RawVerify", "BM_KeyVerify", "BM_ParseCredential",
               "BM_VerifyCold", "BM_VerifyCached")
    header = f"{'alg':<8}" + "".join(f"{c[3:]:>17}" for c in columns)
    print("\nmedian rates (per CPU second)")
    print(header)
    for alg in ALGS:
        print(f"{alg:<8}" + "".join(f"{fmt_rate(rate(medians, f'{c}/{alg}')):>17}" for c in columns))

    failed = missing = False
    print("\ntargets")
    for alg in ALGS:
        raw = rate(medians, f"BM_RawVerify/{alg}")
        cold = rate(medians, f"BM_VerifyCold/{alg}")
        cached = rate(medians, f"BM_VerifyCached/{alg}")
        if raw and cold:
            r = cold / (raw / 2)
            ok = r >= COLD_TARGET
            failed |= not ok
            print(f"{alg:<8} cold / (raw/2)  = {r:6.3f}  (target >= {COLD_TARGET})  {verdict(ok)}")
        else:
            missing = True
            print(f"{alg:<8} cold / (raw/2)  = n/a   MISSING")
        if cold and cached:
            r = cached / cold
            ok = r >= CACHED_TARGET
            failed |= not ok
            print(f"{alg:<8} cached / cold   = {r:6.3f}  (target >= {CACHED_TARGET})  {verdict(ok)}")
        else:
            missing = True
            print(f"{alg:<8} cached / cold   = n/a   MISSING")

    for name in ("BM_QrPng", "BM_QrPngOnly"):
        m = medians.get(name)
        if m is None:
            missing |= name == "BM_QrPng"
            print(f"{name:<16} n/a   MISSING")
            continue
        ms = m["cpu_ms"]
        if name == "BM_QrPng":
            ok = ms <= PNG_TARGET_MS
            failed |= not ok
            print(f"{name:<16} {ms:.3f} ms  (target <= {PNG_TARGET_MS} ms)  {verdict(ok)}")
        else:
            print(f"{name:<16} {ms:.3f} ms  (ToPng only, for information)")

    if missing:
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
