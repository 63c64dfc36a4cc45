#!/usr/bin/python3
"""run_zoo.py — the model-zoo test (issue 5): real torchvision models through
dlc, checked against PyTorch. Registered with ctest by tests/zoo/CMakeLists.txt
(label "zoo"), one test per model plus a setup fixture and a report.

  run_zoo.py setup  --dlc DLC --source SRC --build BUILD --dir DIR
                    [--models a,b] [--opsets 17] [--no-aarch64]
      exports the zoo with bench/models/export.py into DIR/models (skipped when
      DIR/models/manifest.json was written by the same export.py) and
      cross-compiles the runtime for AArch64 into DIR/aarch64/libdlcrt.a.
  run_zoo.py model NAME [same options] [--opsets 17,13] [--no-aarch64]
                    [--cpu NAME] [--cflags FLAGS]
      the pipeline below for one model; writes DIR/results/NAME.json; exit 1
      with every failed check listed. --cflags is added when linking the
      native driver (-fsanitize=... in the sanitizer build).
  run_zoo.py report --dir DIR
      prints the results table (docs/zoo.md's format).

Per model, at opset 17 (the primary export):
  dlc import NAME_op17.onnx -o NAME.json -> dlc check -> dlc stats --json
  (total_params and total_macs must equal the manifest's exactly) ->
  dlc NAME.json -o model.o --name zoo -O2 --cpu native (timed) -> cc driver.c
  model.o libdlcrt.a -> run (output, then timed runs) -> compare with
  PyTorch: max|got - expected| <= 1e-3 * max|expected|, all finite, and for
  classifiers the same arg-max. Big files (objects, drivers, weights) are
  deleted when the model passes, so the build directory stays small.
At opset 13: dlc check and dlc stats of the .onnx itself, then the .onnx
compiled directly at -O2 for the default CPU (the ABI's x86-64 baseline), run
once and compared the same way.
AArch64: NAME.json compiled with --target aarch64-linux-gnu -O2 (timed); for
squeezenet1_1, shufflenet_v2_x1_0 and mobilenet_v2 (QEMU_MODELS) linked
statically with aarch64-linux-gnu-gcc and run under qemu-aarch64, compared the
same way. Without the cross tools this part is reported as skipped.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

QEMU_MODELS = ("squeezenet1_1", "shufflenet_v2_x1_0", "mobilenet_v2")
RTOL = 1e-3   # max |diff| <= RTOL * max |expected|
REPS = 3      # timed runs after the first (the median is reported)


class Failures(list):
    def check(self, ok, what):
        if not ok:
            self.append(what)
            print(f"FAIL: {what}", flush=True)
        return ok


def sh(args, what, fails, timeout=3600, **kw):
    """Runs a command; returns (CompletedProcess or None, seconds)."""
    t0 = time.perf_counter()
    try:
        r = subprocess.run(args, capture_output=True, text=True,
                           timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        fails.check(False, f"{what}: timed out after {timeout} s")
        return None, time.perf_counter() - t0
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-12:]
        fails.check(False, f"{what}: exit {r.returncode}\n    " +
                    "\n    ".join(tail) + f"\n    command: {' '.join(args)}")
        return None, dt
    return r, dt


def have(tool):
    return shutil.which(tool) is not None


# ----------------------------------------------------------------- setup


def setup(a):
    models = os.path.join(a.dir, "models")
    manifest = os.path.join(models, "manifest.json")
    script = os.path.join(a.source, "bench", "models", "export.py")
    import hashlib
    with open(script, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    fresh = False
    if os.path.exists(manifest):
        with open(manifest) as f:
            m = json.load(f)
        wanted = a.models.split(",") if a.models else m.get("all_models", [])
        fresh = m.get("script_sha256") == digest and all(
            n in m["models"] for n in wanted) and all(
            os.path.exists(os.path.join(models, e[k]))
            for e in m["models"].values() for k in ("input", "output")) and all(
            os.path.exists(os.path.join(models, o["file"]))
            for e in m["models"].values() for o in e["onnx"].values())
    if fresh:
        print(f"zoo: {manifest} is up to date (export.py unchanged)")
    else:
        if os.path.exists(manifest):
            os.remove(manifest)  # a half-finished export must not look fresh
        t0 = time.perf_counter()
        cmd = [sys.executable, script, models]
        if a.models:
            cmd += ["--models", a.models]
        if a.opsets:
            cmd += ["--opsets", ",".join(sorted(a.opsets.split(",")))]
        r = subprocess.run(cmd)
        if r.returncode != 0:
            sys.exit("zoo: export.py failed")
        print(f"zoo: exported in {time.perf_counter() - t0:.1f} s")
    if a.no_aarch64:
        return
    if have("aarch64-linux-gnu-gcc"):
        out = os.path.join(a.dir, "aarch64")
        os.makedirs(out, exist_ok=True)
        rt = os.path.join(a.source, "runtime")
        objs = []
        for c in sorted(os.listdir(rt)):
            if c.endswith(".c"):
                o = os.path.join(out, c[:-2] + ".o")
                subprocess.run(["aarch64-linux-gnu-gcc", "-std=c11", "-O2",
                                "-D_DEFAULT_SOURCE", "-c", os.path.join(rt, c),
                                "-o", o], check=True)
                objs.append(o)
        lib = os.path.join(out, "libdlcrt.a")
        if os.path.exists(lib):
            os.remove(lib)
        subprocess.run(["ar", "rcs", lib] + objs, check=True)
        print(f"zoo: AArch64 runtime {lib}")
    else:
        print("zoo: aarch64-linux-gnu-gcc missing: AArch64 runs will be skipped")


# --------------------------------------------------------------- compare


def compare(got, want, kind, what, fails):
    """The issue's criterion; returns a dict of the figures."""
    got = got.reshape(want.shape)
    diff = float(np.max(np.abs(got.astype(np.float64) - want)))
    scale = float(np.max(np.abs(want)))
    res = {"max_abs_diff": diff, "max_abs_expected": scale,
           "rel": diff / scale if scale else diff}
    fails.check(np.all(np.isfinite(got)), f"{what}: non-finite outputs")
    fails.check(diff <= RTOL * scale,
                f"{what}: max |diff| {diff:.3g} > {RTOL} x max|expected| "
                f"{scale:.3g} (at flat index {int(np.argmax(np.abs(got - want)))})")
    if kind == "classifier":
        g, w = int(np.argmax(got)), int(np.argmax(want))
        res["argmax"] = [g, w]
        fails.check(g == w, f"{what}: arg-max {g}, PyTorch {w}")
    elif kind == "segmentation":
        # per-pixel class agreement (reported, not required)
        res["pixel_argmax_agree"] = float(np.mean(np.argmax(got, 1) == np.argmax(want, 1)))
    return res


def run_driver(prog, xraw, out_raw, want, kind, what, fails, reps, prefix=()):
    r, _ = sh(list(prefix) + [prog, str(reps), xraw, out_raw], what, fails)
    if r is None:
        return None
    res = compare(np.fromfile(out_raw, np.float32), want, kind, what, fails)
    for line in r.stdout.splitlines():
        if line.startswith("run_ms"):
            v = [float(f) for f in line.split()[1:]]
            res["run_ms_min"], res["run_ms_median"], res["run_cpu_ms_median"] = v
    return res


# -------------------------------------------------------------- pipeline


def stats_check(a, model, entry, what, fails):
    r, _ = sh([a.dlc, "stats", "--json", "-O0", model], f"{what}: dlc stats", fails)
    if r is None:
        return None
    s = json.loads(r.stdout)
    fails.check(s["total_params"] == entry["params"],
                f"{what}: dlc stats total_params {s['total_params']}, "
                f"export.py {entry['params']}")
    fails.check(s["total_macs"] == entry["macs"],
                f"{what}: dlc stats total_macs {s['total_macs']}, "
                f"export.py {entry['macs']}")
    return {"params": s["total_params"], "macs": s["total_macs"]}


def memory_check(a, model, what, fails):
    """The -O2 memory plan: arena within 1.10x of the lower bound (issue 4)."""
    r, _ = sh([a.dlc, "stats", "--json", "-O2", model],
              f"{what}: dlc stats -O2", fails)
    if r is None:
        return None
    s = json.loads(r.stdout)
    arena, bound = s["arena_bytes"], s["arena_lower_bound_bytes"]
    fails.check(arena > 0 and arena * 10 <= bound * 11,
                f"{what}: arena {arena} bytes is more than 1.10x the lower "
                f"bound {bound}")
    return {"arena_bytes": arena, "lower_bound_bytes": bound,
            "naive_bytes": s["naive_bytes"]}


def link_native(a, work, what, fails):
    prog = os.path.join(work, "driver")
    r, _ = sh(["cc", "-std=c11", "-O2", "-I", work, "-I",
               os.path.join(a.source, "runtime"),
               os.path.join(a.source, "tests", "zoo", "driver.c"),
               os.path.join(work, "model.o"),
               os.path.join(a.build, "libdlcrt.a"), "-lm", "-lpthread",
               "-o", prog] + a.cflags.split(), f"{what}: link", fails)
    return prog if r else None


def compile_model(a, model, work, what, fails, extra):
    """Returns (wall seconds, CPU seconds) or None."""
    os.makedirs(work, exist_ok=True)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0 = ru.ru_utime + ru.ru_stime
    r, dt = sh([a.dlc, model, "-o", os.path.join(work, "model.o"), "--name",
                "zoo", "-O2", "--header", os.path.join(work, "model.h")] + extra,
               f"{what}: compile", fails)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (dt, ru.ru_utime + ru.ru_stime - cpu0) if r else None


def run_model(a):
    name = a.name
    models = os.path.join(a.dir, "models")
    with open(os.path.join(models, "manifest.json")) as f:
        entry = json.load(f)["models"].get(name)
    if entry is None:
        sys.exit(f"zoo: '{name}' is not in the manifest")
    kind = entry["kind"]
    work = os.path.join(a.dir, "work", name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fails = Failures()
    res = {"model": name, "kind": kind, "manifest_params": entry["params"],
           "manifest_macs": entry["macs"]}
    want = np.load(os.path.join(models, entry["output"])).astype(np.float64)
    xraw = os.path.join(work, "x.raw")
    np.load(os.path.join(models, entry["input"])).astype(np.float32).tofile(xraw)
    t_start = time.perf_counter()

    # --- opset 17: import -> check -> stats -> compile -> run
    onnx17 = os.path.join(models, entry["onnx"]["17"]["file"])
    js = os.path.join(work, name + ".json")
    w = f"{name} (opset 17)"
    r, dt = sh([a.dlc, "import", onnx17, "-o", js], f"{w}: dlc import", fails)
    res["import_s"] = round(dt, 3)
    if r and sh([a.dlc, "check", js], f"{w}: dlc check", fails)[0]:
        res["check"] = "ok"
        res["stats"] = stats_check(a, js, entry, w, fails)
        res["memory"] = memory_check(a, js, w, fails)
        x86 = os.path.join(work, "x86")
        dt = compile_model(a, js, x86, w, fails, ["--cpu", a.cpu])
        if dt is not None:
            res["compile_s"], res["compile_cpu_s"] = round(dt[0], 2), round(dt[1], 2)
            prog = link_native(a, x86, w, fails)
            if prog:
                res["run"] = run_driver(prog, xraw, os.path.join(x86, "y.raw"),
                                        want, kind, w, fails, REPS)
                res["cpu"] = a.cpu
    else:
        res["check"] = "failed"

    # --- opset 13: the .onnx directly, default CPU
    if "13" in a.opsets.split(","):
        onnx13 = os.path.join(models, entry["onnx"]["13"]["file"])
        w = f"{name} (opset 13)"
        if sh([a.dlc, "check", onnx13], f"{w}: dlc check", fails)[0]:
            res["stats13"] = stats_check(a, onnx13, entry, w, fails)
            x86 = os.path.join(work, "x86-op13")
            dt = compile_model(a, onnx13, x86, w, fails, [])
            if dt is not None:
                res["compile13_s"], res["compile13_cpu_s"] = round(dt[0], 2), round(dt[1], 2)
                prog = link_native(a, x86, w, fails)
                if prog:
                    res["run13"] = run_driver(prog, xraw, os.path.join(x86, "y.raw"),
                                              want, kind, w, fails, 0)
            # the x86 objects are large (weights inside): keep the disk small
            shutil.rmtree(x86, ignore_errors=True)

    # --- AArch64
    res["aarch64"] = aarch64(a, js, work, xraw, want, kind, fails) \
        if not a.no_aarch64 and os.path.exists(js) else {"status": "skipped"}

    res["total_s"] = round(time.perf_counter() - t_start, 1)
    res["failures"] = list(fails)
    os.makedirs(os.path.join(a.dir, "results"), exist_ok=True)
    with open(os.path.join(a.dir, "results", name + ".json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))
    if not fails:  # these are the size of the weights: keep the disk small
        for p in (os.path.join(work, "x86", "model.o"),
                  os.path.join(work, "x86", "driver"),
                  os.path.join(work, "aarch64", "driver"),
                  os.path.join(work, name + ".bin")):
            if os.path.exists(p):
                os.remove(p)
    if fails:
        print(f"zoo: {name}: {len(fails)} failure(s):\n  " + "\n  ".join(fails))
        sys.exit(1)
    print(f"zoo: {name}: ok ({res['total_s']} s)")


def aarch64(a, js, work, xraw, want, kind, fails):
    w = f"{a.name} (AArch64)"
    out = os.path.join(work, "aarch64")
    dt = compile_model(a, js, out, w, fails, ["--target", "aarch64-linux-gnu"])
    if dt is None:
        return {"status": "compile failed"}
    res = {"compile_s": round(dt[0], 2), "compile_cpu_s": round(dt[1], 2),
           "status": "compiled"}
    rt = os.path.join(a.dir, "aarch64", "libdlcrt.a")
    if a.name in QEMU_MODELS:
        if not (have("aarch64-linux-gnu-gcc") and have("qemu-aarch64")
                and os.path.exists(rt)):
            res["status"] = "compiled (qemu skipped: no cross tools)"
        else:
            prog = os.path.join(out, "driver")
            r, _ = sh(["aarch64-linux-gnu-gcc", "-static", "-std=c11", "-O2",
                       "-I", out, "-I", os.path.join(a.source, "runtime"),
                       os.path.join(a.source, "tests", "zoo", "driver.c"),
                       os.path.join(out, "model.o"), rt, "-lm", "-lpthread",
                       "-o", prog], f"{w}: link", fails)
            if r:
                t0 = time.perf_counter()
                run = run_driver(prog, xraw, os.path.join(out, "y.raw"), want,
                                 kind, w + " under qemu", fails, 0,
                                 prefix=("qemu-aarch64",))
                if run:
                    run["qemu_s"] = round(time.perf_counter() - t0, 2)
                    res["qemu"] = run
                    res["status"] = "qemu ok" if not any(
                        "AArch64" in f for f in fails) else "qemu FAILED"
    os.remove(os.path.join(out, "model.o"))
    return res


# ---------------------------------------------------------------- report


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def report_row(n, r):
    run = r.get("run") or {}
    diff = (f"{run['max_abs_diff']:.2g} ({run['rel']:.1g})"
            if "max_abs_diff" in run else "-")
    ok = "pass" if not r["failures"] else f"FAIL ({len(r['failures'])})"
    if r.get("kind") == "classifier" and "argmax" in run:
        ok += ", same arg-max" if run["argmax"][0] == run["argmax"][1] \
            else ", arg-max differs"
    elif "pixel_argmax_agree" in run:
        ok += f", {100 * run['pixel_argmax_agree']:.0f}% pixels same class"
    aa = r.get("aarch64", {})
    aas = aa.get("status", "-")
    if "compile_s" in aa:
        aas += f" ({aa['compile_s']:.1f} s)"
    if "qemu" in aa:
        aas += f", {aa['qemu']['rel']:.1g} rel. diff, {aa['qemu']['qemu_s']:.0f} s"
    return (f"| {n} | {r['manifest_params'] / 1e6:.2f} M | "
            f"{r['manifest_macs'] / 1e9:.3f} | {fmt(r.get('compile_s'), '.1f')} "
            f"({fmt(r.get('compile_cpu_s'), '.1f')}) | "
            f"{fmt(run.get('run_ms_median'), '.1f')} "
            f"({fmt(run.get('run_cpu_ms_median'), '.1f')}) | {diff} | {ok} | "
            f"{aas} | {r.get('total_s', 0):.0f} |")


def report(a):
    """The table of docs/zoo.md, from DIR/results/*.json."""
    rdir = os.path.join(a.dir, "results")
    names = []
    mpath = os.path.join(a.dir, "models", "manifest.json")
    if os.path.exists(mpath):
        with open(mpath) as f:
            m = json.load(f)
            names = [n for n in m.get("all_models", []) if n in m["models"]]
    rows = ["| model | params | GMACs | compile -O2, s wall (CPU) | run, ms wall "
            "(CPU) | max abs diff (rel.) | check | AArch64 | test, s |",
            "|" + "---|" * 9]
    bad = []
    for n in names:
        p = os.path.join(rdir, n + ".json")
        if not os.path.exists(p):
            rows.append(f"| {n} | | | | | | not run | | |")
            continue
        with open(p) as f:
            r = json.load(f)
        rows.append(report_row(n, r))
        if r["failures"]:
            bad.append(n)
    print("\n".join(rows))
    if bad:
        print("failed: " + ", ".join(bad))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=("setup", "model", "report"))
    ap.add_argument("name", nargs="?")
    ap.add_argument("--dlc")
    ap.add_argument("--source")
    ap.add_argument("--build")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--opsets", default="17,13",
                    help="17 is always run; 13 adds the direct .onnx path")
    ap.add_argument("--models", default="",
                    help="setup: export only these (comma-separated)")
    ap.add_argument("--cflags", default="",
                    help="extra flags for linking the native driver")
    ap.add_argument("--cpu", default="native")
    ap.add_argument("--no-aarch64", action="store_true")
    a = ap.parse_args()
    if a.cmd == "setup":
        setup(a)
    elif a.cmd == "model":
        run_model(a)
    else:
        report(a)


if __name__ == "__main__":
    main()
