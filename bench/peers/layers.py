#!/usr/bin/python3
"""layers.py — where dlc loses time to ONNX Runtime, layer by layer.

dlc has no per-layer profiler, so each Conv, Gemm, pooling and Sigmoid node
of a model (with the Relu/Clip that follows a Conv, which both engines fuse,
and the Mul of a SiLU x * sigmoid(x)) is
cut out into a one-layer ONNX model on a random input, compiled by dlc
(--shared --cpu native -O2) and run by ONNX Runtime (one thread), the two
interleaved as in run.py. Layers of identical shape and attributes are timed
once and counted. Prints one row per distinct layer, the worst first by
(dlc - ort) x count, with GFLOP/s (2 FLOP per MAC).

  layers.py --dlc DLC --worker DLC_WORKER --ort-modules DIR --work DIR
            --model NAME [--rounds 5] [--per-turn 5] [--top 15]

Needs the export of run.py (WORK/NAME_op13.onnx); run.sh builds the pieces.
"""
import argparse
import os
import statistics
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Worker  # noqa: E402

OPS = ("Conv", "Gemm", "MaxPool", "AveragePool", "GlobalAveragePool",
       "Sigmoid")
ACTS = ("Relu", "Clip")


def shapes_of(model):
    m = shape_inference.infer_shapes(model)
    out = {}
    for v in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        out[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    return out


def cut_layers(model):
    """Yields (key, nodes, input name, output name) per layer."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    consts = {n.output[0]: n for n in g.node if n.op_type == "Constant"}
    users = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    shapes = shapes_of(model)
    for n in g.node:
        if n.op_type not in OPS:
            continue
        acts = [i for i in n.input if i and i not in inits]
        if len(acts) != 1:
            continue
        nodes, out = [n], n.output[0]
        nxt = users.get(out, [])
        if n.op_type == "Conv" and len(nxt) == 1 and nxt[0].op_type in ACTS:
            nodes.append(nxt[0])
            out = nxt[0].output[0]
        elif (n.op_type == "Sigmoid" and len(nxt) == 1 and nxt[0].op_type == "Mul"
              and sorted(nxt[0].input) == sorted([acts[0], out])):
            nodes.append(nxt[0])  # SiLU: x * sigmoid(x)
            out = nxt[0].output[0]
        attrs = tuple(str(helper.get_attribute_value(a)) for a in n.attribute)
        wshape = tuple(tuple(inits[i].dims) for i in n.input if i in inits)
        key = (n.op_type, tuple(shapes[acts[0]]), wshape, attrs,
               tuple(x.op_type for x in nodes[1:]))
        yield key, nodes, acts[0], out, shapes, inits, consts


def make_model(nodes, x, y, shapes, inits, consts, opset):
    need = [i for nd in nodes for i in nd.input if i and i != x]
    init = [inits[i] for i in need if i in inits]
    cnodes = [consts[i] for i in need if i in consts]
    g = helper.make_graph(
        cnodes + nodes, "layer",
        [helper.make_tensor_value_info(x, onnx.TensorProto.FLOAT, shapes[x])],
        [helper.make_tensor_value_info(y, onnx.TensorProto.FLOAT, shapes[y])],
        init)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def macs_of(nodes, shapes, inits):
    n = nodes[0]
    y = shapes[n.output[0]]
    if n.op_type == "Conv":
        w = inits[n.input[1]].dims
        return int(np.prod(y)) * int(np.prod(w[1:]))
    if n.op_type == "Gemm":
        return int(np.prod(y)) * int(np.prod(inits[n.input[1]].dims)) // y[-1]
    return 0


def describe(key):
    op, xs, ws, attrs, acts = key
    s = f"{op}{'+' + '+'.join(acts) if acts else ''} x{list(xs)}"
    if ws:
        s += f" w{list(ws[0])}"
    return s + (f" {' '.join(attrs)}" if attrs else "")


def elements(key):
    return int(np.prod(key[1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dlc", required=True)
    ap.add_argument("--worker", required=True)
    ap.add_argument("--ort-modules", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-turn", type=int, default=5)
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    src = onnx.load(os.path.join(a.work, f"{a.model}_op13.onnx"))
    opset = src.opset_import[0].version
    lay = os.path.join(a.work, "layers", a.model)
    os.makedirs(lay, exist_ok=True)
    env = dict(os.environ, NODE_PATH=a.ort_modules, OMP_NUM_THREADS="1")
    groups = {}
    for key, nodes, x, y, shapes, inits, consts in cut_layers(src):
        if key in groups:
            groups[key]["count"] += 1
            continue
        i = len(groups)
        path = os.path.join(lay, f"l{i}.onnx")
        onnx.save(make_model(nodes, x, y, shapes, inits, consts, opset), path)
        inp = os.path.join(lay, f"l{i}.bin")
        np.random.default_rng(i).uniform(-1, 1, shapes[x]).astype("<f4").tofile(inp)
        so = os.path.join(lay, f"l{i}.so")
        subprocess.run([a.dlc, path, "-o", so, "--shared", "--cpu", "native",
                        "-O2", "--name", "layer", "--no-header"], check=True)
        groups[key] = dict(count=1, macs=macs_of(nodes, shapes, inits), ws=[
            Worker("dlc", [a.worker, "compiled", so, "layer_model", inp], env),
            Worker("ort", ["node", os.path.join(os.path.dirname(__file__),
                                                "ort_worker.js"), path, inp,
                           ",".join(map(str, shapes[x])), "1"], env)])
        for w in groups[key]["ws"]:
            if w.error:
                sys.exit(f"{describe(key)}: {w.label} {w.error}")
            w.run(2, keep=False)
        # keep few processes alive at once: time this layer now
        for r in range(a.rounds):
            for w in groups[key]["ws"][r % 2:] + groups[key]["ws"][:r % 2]:
                w.run(a.per_turn)
        for w in groups[key]["ws"]:
            w.close()
        print(f"  {describe(key)}", file=sys.stderr, flush=True)
    rows = []
    for key, g in groups.items():
        d, o = (statistics.median(w.times) for w in g["ws"])
        rows.append((key, g["count"], d, o, g["macs"]))
    rows.sort(key=lambda r: -(r[2] - r[3]) * r[1])
    tot_d = sum(r[1] * r[2] for r in rows)
    tot_o = sum(r[1] * r[3] for r in rows)
    print(f"{a.model}: {len(rows)} distinct layers; sum over all layers "
          f"dlc {tot_d:.2f} ms, ort {tot_o:.2f} ms (medians x count)")
    print("| layer | count | dlc ms | ort ms | dlc/ort | (dlc-ort) x count ms "
          "| dlc GFLOP/s | ort GFLOP/s |")
    print("|---|---|---|---|---|---|---|---|")
    for key, c, d, o, macs in rows[:a.top]:
        gf = lambda t: f"{2 * macs / t / 1e6:.0f}" if macs else "-"  # noqa: E731
        print(f"| {describe(key)} | {c} | {d:.3f} | {o:.3f} | {d / o:.2f} | "
              f"{(d - o) * c:+.3f} | {gf(d)} | {gf(o)} |")


if __name__ == "__main__":
    main()
