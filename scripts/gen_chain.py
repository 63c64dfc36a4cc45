#!/usr/bin/env python3
"""gen_chain.py -- write a long chain model (dlc-graph v1) for compile-time
and memory checks (docs/reliability.md, "Compile time").

    matmul:    x -> MatMul(W) -> Sigmoid -> MatMul(W) -> Sigmoid -> ... -> y
    relu-add:  x -> Relu -> Add(b) -> Relu -> Add(b) -> ... -> y
    reshape:   x -> Reshape(4x4) -> Sigmoid -> Reshape(1x16) -> Sigmoid -> ...
    conv:      x -> Conv(K, 3x3 same) -> Relu -> Conv(K) -> Relu -> ...
    concat:    x -> Concat(x', b) -> Slice(back to x's shape) -> Tanh -> ...

Every node of one op reads the same initializers, so all kernels share a
shape and the file stays small: the chain's length, not its weights, is
what is measured.

Usage: /usr/bin/python3 scripts/gen_chain.py NODES OUT.json [--kind K] [--dim D]
"""
import argparse
import base64
import json
import struct


def f32(name, dims, values):
    raw = struct.pack("<%df" % len(values), *values)
    return {"name": name, "dtype": "float32", "shape": dims,
            "data_base64": base64.b64encode(raw).decode()}


def i64(name, values):
    return {"name": name, "dtype": "int64", "shape": [len(values)],
            "data": values}


def pattern(kind, d):
    """(input shape, initializers, [(op, extra inputs, attrs)] repeated)."""
    w = [((i * 7) % 11 - 5) / 20.0 for i in range(d * d * 9)]
    if kind == "matmul":
        return [1, d], [f32("W", [d, d], w[:d * d])], [
            ("MatMul", ["W"], None), ("Sigmoid", [], None)]
    if kind == "relu-add":
        return [1, d], [f32("b", [d], [0.01] * d)], [
            ("Relu", [], None), ("Add", ["b"], None)]
    if kind == "reshape":
        return [1, d * d], [i64("s2", [d, d]), i64("s1", [1, d * d])], [
            ("Reshape", ["s2"], None), ("Sigmoid", [], None),
            ("Reshape", ["s1"], None), ("Sigmoid", [], None)]
    if kind == "conv":
        return [1, 4, d, d], [f32("K", [4, 4, 3, 3], w[:144])], [
            ("Conv", ["K"], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
            ("Relu", [], None)]
    if kind == "concat":
        return [1, d], [f32("b", [1, d], [0.5] * d), i64("st", [0]),
                        i64("en", [d]), i64("ax", [1])], [
            ("Concat", ["b"], {"axis": 1}), ("Slice", ["st", "en", "ax"], None),
            ("Tanh", [], None)]
    raise SystemExit("unknown kind " + kind)


def chain(n, kind, d):
    shape, inits, steps = pattern(kind, d)
    nodes, prev = [], "x"
    for i in range(n):
        op, extra, attrs = steps[i % len(steps)]
        out = "y" if i == n - 1 else "t%d" % i
        node = {"name": "n%d" % i, "op": op, "inputs": [prev] + extra,
                "outputs": [out]}
        if attrs:
            node["attrs"] = attrs
        nodes.append(node)
        prev = out
    return {"format": "dlc-graph", "version": 1, "name": "chain",
            "inputs": [{"name": "x", "dtype": "float32", "shape": shape}],
            "outputs": [{"name": "y"}], "initializers": inits, "nodes": nodes}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nodes", type=int)
    ap.add_argument("out")
    ap.add_argument("--kind", default="matmul",
                    choices=["matmul", "relu-add", "reshape", "conv", "concat"])
    ap.add_argument("--dim", type=int, default=16)
    a = ap.parse_args()
    m = chain(a.nodes, a.kind, a.dim)
    nodes = m.pop("nodes")
    with open(a.out, "w") as f:
        # One node a line: diagnostics' line numbers then mean something.
        f.write(json.dumps(m)[:-1] + ', "nodes": [\n')
        f.write(",\n".join(json.dumps(x) for x in nodes))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
