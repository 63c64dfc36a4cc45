#!/usr/bin/python3
"""run.py — dlc against its peers (ONNX Runtime, PyTorch) on the model zoo,
side by side in one run.

Each (engine, threads) pair is a long-lived worker process that loads the
model once and then answers "run K" with K single-run times (ms), so the
engines are interleaved round-robin (the order rotates every round) on the
same noisy machine instead of one engine's repetitions back to back. Every
engine's output for the model's saved input is compared with PyTorch's
(bench/models/export.py writes both), so a fast wrong result cannot win.

Engines:
  dlc       dlc MODEL.onnx --shared --cpu native -O2, called through its
            descriptor (bench/peers/dlc_worker.c)
  blas      dlc's interpreter with Conv/Gemm/MatMul through OpenBLAS
  interp    dlc's reference interpreter (only models listed in --interp)
  ort       ONNX Runtime (onnxruntime-node, CPU EP, graph optimisation
            level all, intra-op THREADS, inter-op 1, sequential)
  torch     PyTorch eager, eval, torch.no_grad, set_num_threads(THREADS)
  torch_jit torch.jit.trace + freeze + optimize_for_inference

After the turn of a multi-threaded engine the orchestrator sleeps --settle
seconds, so that its pool threads (OpenBLAS, OpenMP, ORT spin after work)
do not steal the next engine's CPU.

Usage (bench/peers/run.sh builds the pieces and calls this):
  run.py --dlc DLC --worker DLC_WORKER --ort-modules DIR --work DIR
         [--models a,b] [--rounds 10] [--per-turn 2] [--warmup 3]
         [--threads 1,2] [--interp transformer_encoder] [--json OUT]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT = os.path.join(HERE, "..", "models", "export.py")
PY = "/usr/bin/python3"
MODELS = ["resnet18", "resnet50", "mobilenet_v2", "shufflenet_v2_x1_0",
          "squeezenet1_1", "densenet121", "efficientnet_b0",
          "transformer_encoder"]
# engines that take a thread count; the others are single-threaded
THREADED = ("ort", "torch", "torch_jit", "blas")


class Worker:
    """One engine in its own process, speaking the run/out line protocol."""

    def __init__(self, label, argv, env=None):
        self.label, self.times, self.error = label, [], None
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env,
                                  bufsize=1)
        line = self.p.stdout.readline().strip()
        if line != "ready":
            self.error = f"did not start ({line!r}, exit {self.p.poll()})"

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label}: worker died on '{cmd}'")
        return line.strip()

    def run(self, k, keep=True):
        t = [float(v) for v in self.ask(f"run {k}").split()]
        if keep:
            self.times += t

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.close()
                self.p.wait(timeout=30)
            except Exception:  # noqa: BLE001
                self.p.kill()


def ensure_export(work, name):
    onnx_path = os.path.join(work, f"{name}_op13.onnx")
    if not os.path.exists(onnx_path):
        subprocess.run([PY, EXPORT, work, "--models", name, "--opsets", "13"],
                       check=True, stdout=subprocess.DEVNULL)
    x = np.load(os.path.join(work, f"{name}_in.npy")).astype("<f4")
    y = np.load(os.path.join(work, f"{name}_out.npy")).astype("<f4")
    bin_path = os.path.join(work, f"{name}_in.bin")
    x.tofile(bin_path)
    return onnx_path, bin_path, x.shape, y


def compile_dlc(a, onnx_path, name):
    so = os.path.join(a.work, f"{name}.so")
    t0 = time.time()
    subprocess.run([a.dlc, onnx_path, "-o", so, "--shared", "--cpu", "native",
                    "-O2", "--name", "peer", "--no-header"], check=True)
    return so, (time.time() - t0) * 1e3


def start_workers(a, name, onnx_path, bin_path, shape, so):
    env = dict(os.environ, NODE_PATH=a.ort_modules, OMP_NUM_THREADS="1")
    specs = [("dlc", 1, [a.worker, "compiled", so, "peer_model", bin_path])]
    for t in a.threads:
        specs += [
            ("ort", t, ["node", os.path.join(HERE, "ort_worker.js"), onnx_path,
                        bin_path, ",".join(map(str, shape)), str(t)]),
            ("torch", t, [PY, os.path.join(HERE, "torch_worker.py"), name,
                          "eager", str(t)]),
            ("torch_jit", t, [PY, os.path.join(HERE, "torch_worker.py"), name,
                              "jit", str(t)]),
            ("blas", t, [a.worker, "blas", onnx_path, bin_path, str(t)]),
        ]
    if name in a.interp:
        specs.append(("interp", 1, [a.worker, "interp", onnx_path, bin_path]))
    workers = []
    for engine, t, argv in specs:
        w = Worker(f"{engine}/{t}", argv, env)
        w.engine, w.threads = engine, t
        workers.append(w)
    return workers


def check_output(w, work, y_ref):
    path = os.path.join(work, f"out_{w.engine}_{w.threads}.bin")
    w.ask(f"out {path}")
    y = np.fromfile(path, "<f4")
    os.remove(path)
    if y.size != y_ref.size:
        return float("inf")
    return float(np.abs(y - y_ref.ravel()).max())


def bench_model(a, name):
    onnx_path, bin_path, shape, y_ref = ensure_export(a.work, name)
    so, compile_ms = compile_dlc(a, onnx_path, name)
    workers = start_workers(a, name, onnx_path, bin_path, shape, so)
    live = [w for w in workers if not w.error]
    for w in live:  # warm-up, also the output check
        try:
            w.run(a.warmup, keep=False)
            w.diff = check_output(w, a.work, y_ref)
        except RuntimeError as e:
            w.error = str(e)
    live = [w for w in live if not w.error]
    for r in range(a.rounds):
        order = live[r % len(live):] + live[:r % len(live)]
        for w in order:
            w.run(1 if w.engine == "interp" else a.per_turn)
            if w.threads > 1:  # let its idle threads stop spinning
                time.sleep(a.settle)
        print(f"  {name}: round {r + 1}/{a.rounds}", file=sys.stderr, flush=True)
    for w in workers:
        w.close()
    rows = []
    for w in workers:
        row = {"model": name, "engine": w.engine, "threads": w.threads,
               "torch_max_abs": float(np.abs(y_ref).max())}
        if w.error:
            row["error"] = w.error
        else:
            row.update(median_ms=statistics.median(w.times), min_ms=min(w.times),
                       runs=len(w.times), max_abs_diff_vs_torch=w.diff)
        if w.engine == "dlc":
            row["compile_ms"] = compile_ms
        rows.append(row)
    base = next((r for r in rows if r["engine"] == "dlc" and "median_ms" in r), None)
    for r in rows:
        if base and "median_ms" in r:
            r["vs_dlc"] = r["median_ms"] / base["median_ms"]
    return rows


def table(rows):
    out = ["| model | engine | threads | median ms | min ms | x dlc time | "
           "max abs diff vs torch | max abs torch output |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['model']} | {r['engine']} | {r['threads']} | "
                       f"failed: {r['error']} | | | | |")
            continue
        out.append(f"| {r['model']} | {r['engine']} | {r['threads']} | "
                   f"{r['median_ms']:.3f} | {r['min_ms']:.3f} | "
                   f"{r.get('vs_dlc', float('nan')):.2f} | "
                   f"{r['max_abs_diff_vs_torch']:.1e} | {r['torch_max_abs']:.3g} |")
    return "\n".join(out)


def lscpu():
    """The CPU as lscpu names it: model name, family, model, flags of note."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    info = {k: fields[k].strip() for k in ("Model name", "CPU family", "Model",
                                            "Vendor ID") if k in fields}
    flags = fields.get("Flags", "").split()
    info["avx512f"] = "avx512f" in flags
    info["avx2"] = "avx2" in flags
    return info


def fma_peak(a):
    """This core's FMA peak, measured by dlc bench --per-layer (the same
    kernel the per-layer percentages use), on the smallest zoo model."""
    onnx_path = ensure_export(a.work, "squeezenet1_1")[0]
    r = subprocess.run([a.dlc, "bench", onnx_path, "--per-layer", "--json",
                        "--repeat", "1", "--warmup", "1"],
                       capture_output=True, text=True)
    try:
        return json.loads(r.stdout)["fma_peak_gflops"]
    except (ValueError, KeyError):
        return None


def ratios(rows):
    """dlc / ORT per (model, threads), and their geometric mean."""
    out = {}
    for r in rows:
        if r["engine"] != "ort" or "median_ms" not in r:
            continue
        d = next((x for x in rows if x["engine"] == "dlc" and
                  x["model"] == r["model"] and "median_ms" in x), None)
        if d:
            out.setdefault(r["threads"], {})[r["model"]] = (
                d["median_ms"] / r["median_ms"])
    lines = []
    for t, per in sorted(out.items()):
        geo = float(np.exp(np.mean(np.log(list(per.values())))))
        cells = " | ".join(f"{m} {v:.2f}" for m, v in per.items())
        lines.append(f"dlc time / ORT time, ORT at {t} thread(s): {cells} | "
                     f"geomean {geo:.2f}")
    return out, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dlc", required=True)
    ap.add_argument("--worker", required=True)
    ap.add_argument("--ort-modules", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--per-turn", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", default="1")
    ap.add_argument("--settle", type=float, default=0.2,
                    help="seconds of sleep after a multi-threaded engine's "
                         "turn: OpenBLAS, OpenMP and ORT pool threads spin "
                         "after work and would slow the next engine")
    ap.add_argument("--interp", default="transformer_encoder")
    ap.add_argument("--json")
    a = ap.parse_args()
    a.threads = [int(t) for t in a.threads.split(",")]
    a.interp = set(a.interp.split(","))
    os.makedirs(a.work, exist_ok=True)
    info = {"machine": platform.processor() or platform.machine(),
            "lscpu": lscpu(), "fma_peak_gflops": fma_peak(a),
            "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
            "rounds": a.rounds, "per_turn": a.per_turn, "warmup": a.warmup,
            "threads": a.threads, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    rows = []
    for name in a.models.split(","):
        print(f"{name}:", file=sys.stderr, flush=True)
        rows += bench_model(a, name)
        print(table([r for r in rows if r["model"] == name]), flush=True)
    info["loadavg_end"] = os.getloadavg()
    per, lines = ratios(rows)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"info": info, "results": rows,
                       "dlc_over_ort": {str(t): v for t, v in per.items()}},
                      f, indent=1)
    print("\n" + table(rows))
    print("\n" + "\n".join(lines))
    cpu = info["lscpu"]
    peak = info["fma_peak_gflops"]
    print(f"\nmachine: {cpu.get('Model name', '?')} (family "
          f"{cpu.get('CPU family', '?')}, model {cpu.get('Model', '?')}), "
          f"{info['cpus']} CPUs, FMA peak "
          f"{peak if peak is None else round(peak, 1)} GFLOP/s per core "
          f"(dlc bench --per-layer)")
    print(f"loadavg start {info['loadavg_start']} end {info['loadavg_end']}")


if __name__ == "__main__":
    main()
