#!/usr/bin/env python3
"""gen_fixtures.py -- build dlc's PyTorch oracle fixtures (tests/fixtures/).

Each case is a small PyTorch computation run in eval mode in float32 and written
as a dlc-graph v1 model (docs: /work/shared/spec/dlc-graph-v1.md) together with
its inputs and torch's outputs as .npy files:

    tests/fixtures/<case>/model.json    the graph, written node by node here
    tests/fixtures/<case>/input_<i>.npy graph inputs, in graph order (float32)
    tests/fixtures/<case>/expected_<i>.npy torch's outputs, in graph order
    tests/fixtures/index.json           the case list with per-case tolerances

The JSON is written by this script from the modules' parameters (no ONNX
export), so every attribute is spelled as ONNX opset 13 spells it. Before a
case is written it is checked twice: the JSON is re-loaded and validated
(every node input defined, every initializer's element count matching its
shape, buffers' byte_length and sha256), and the graph is evaluated by a small
independent reference evaluator (`evaluate` below: numpy for Resize, Pad and
Slice, whose ONNX semantics differ from torch's spelling, torch.nn.functional
elsewhere) whose result must match torch's within the case's tolerance. This
catches a graph that does not mirror its module before a C test does.

Deterministic: each case seeds torch from a CRC of its name, torch runs on one
thread, and the JSON writer is ordered. Re-running gives byte-identical files.

Usage: /usr/bin/python3 scripts/gen_fixtures.py [--out tests/fixtures]
"""
import argparse
import base64
import hashlib
import json
import math
import os
import shutil
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Tolerances (compared as |got - expected| <= atol + rtol * |expected|).
# Single operators: a C kernel may sum in another order or use another libm
# (expf, erff, tanhf); each output is a short float32 computation (at most a
# few hundred terms of O(1) magnitude), so its error stays within ~1e-5
# relative; 1e-4 leaves a 10x margin yet catches any wrong index or attribute.
OP_TOL = {"atol": 1e-4, "rtol": 1e-4}
# Small nets: errors of several layers compound (convolutions of 100-900
# terms, batch norm rescaling, layer norm dividing by a small deviation), so
# 1e-3 absolute and relative, still far below the effect of any real bug.
NET_TOL = {"atol": 1e-3, "rtol": 1e-3}

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

# Initializers with at most this many elements are written inline as "data".
INLINE_MAX = 64
BUFFER_ALIGN = 16


# ---------------------------------------------------------------------------
# Graph builder


def f32(t):
    """A torch tensor or array as a C-ordered float32 numpy array."""
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(t, dtype=np.float32))


def i64(v):
    return np.ascontiguousarray(np.asarray(v, dtype=np.int64))


class Graph:
    """Collects one dlc-graph model. `weights` picks where large initializers go:
    "auto" (inline up to INLINE_MAX elements, else data_base64), "buffer" or
    "buffer_sha" (float32 tensors above INLINE_MAX elements in <name>.bin)."""

    def __init__(self, name, weights="auto"):
        self.name = name
        self.weights = weights
        self.inputs, self.outputs, self.inits, self.nodes = [], [], [], []
        self.blob = bytearray()
        self.counts = {}

    def input(self, name, shape):
        self.inputs.append({"name": name, "dtype": "float32", "shape": list(shape)})
        return name

    def output(self, *names):
        for n in names:
            self.outputs.append({"name": n})

    def init(self, name, array):
        """Adds an initializer (float32 or int64, from its numpy dtype)."""
        a = np.ascontiguousarray(array)
        dtype = {np.dtype(np.float32): "float32", np.dtype(np.int64): "int64"}[a.dtype]
        t = {"name": name, "dtype": dtype, "shape": list(a.shape)}
        t.update(self.tensor_data(a))
        self.inits.append(t)
        return name

    def tensor_data(self, a):
        if self.weights.startswith("buffer") and a.dtype == np.float32 and a.size > INLINE_MAX:
            self.blob.extend(b"\0" * (-len(self.blob) % BUFFER_ALIGN))
            off = len(self.blob)
            self.blob.extend(a.astype("<f4").tobytes())
            return {"buffer": 0, "offset": off}
        if a.size <= INLINE_MAX:
            # Nested to the shape for rank >= 2 (the spec allows both forms);
            # float32 values print as the exact double, so they parse back exactly.
            return {"data": a.tolist() if a.ndim >= 2 else a.reshape(-1).tolist()}
        le = a.astype("<f4" if a.dtype == np.float32 else "<i8")
        return {"data_base64": base64.b64encode(le.tobytes()).decode("ascii")}

    def node(self, op, inputs, attrs=None, outputs=None, name=None, n_out=1):
        """Adds a node; returns its output name (or list of names if n_out > 1)."""
        if name is None:
            k = self.counts.get(op, 0)
            self.counts[op] = k + 1
            name = "%s_%d" % (op.lower(), k)
        if outputs is None:
            outputs = [name] if n_out == 1 else ["%s_%d" % (name, i) for i in range(n_out)]
        n = {"name": name, "op": op, "inputs": list(inputs), "outputs": list(outputs)}
        if attrs:
            n["attrs"] = attrs
        self.nodes.append(n)
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def to_dict(self):
        d = {"format": "dlc-graph", "version": 1, "name": self.name}
        if self.blob:
            buf = {"uri": "%s.bin" % self.name, "byte_length": len(self.blob)}
            if self.weights == "buffer_sha":
                buf["sha256"] = hashlib.sha256(bytes(self.blob)).hexdigest()
            d["buffers"] = [buf]
        d.update(inputs=self.inputs, outputs=self.outputs,
                 initializers=self.inits, nodes=self.nodes)
        return d

    def write(self, dirpath, filename="model.json"):
        """Writes the JSON (and the buffer file) into dirpath; returns the model dict."""
        d = self.to_dict()
        with open(os.path.join(dirpath, filename), "w") as f:
            f.write(dumps_model(d))
        if self.blob:
            with open(os.path.join(dirpath, d["buffers"][0]["uri"]), "wb") as f:
                f.write(bytes(self.blob))
        return d


def dumps_model(d):
    """One key per line at the top level and one list item per line, so diffs
    and error line numbers stay readable."""
    item = lambda v: json.dumps(v, separators=(", ", ": "), allow_nan=False)
    lines = []
    for k, v in d.items():
        if isinstance(v, list) and v:
            body = ",\n".join("    " + item(x) for x in v)
            lines.append('  "%s": [\n%s\n  ]' % (k, body))
        else:
            lines.append('  "%s": %s' % (k, item(v)))
    return "{\n" + ",\n".join(lines) + "\n}\n"


# Emitters shared by the nets: one torch module -> one node, attrs from the module.


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def emit_conv(g, x, m, name, out=None):
    w = g.init(name + ".weight", f32(m.weight))
    b = g.init(name + ".bias", f32(m.bias)) if m.bias is not None else ""
    ph, pw = pair(m.padding)
    attrs = {"kernel_shape": pair(m.kernel_size), "strides": pair(m.stride),
             "pads": [ph, pw, ph, pw], "dilations": pair(m.dilation), "group": m.groups}
    inputs = [x, w, b] if b else [x, w]
    return g.node("Conv", inputs, attrs, name=name, outputs=[out or name + "_out"])


def emit_bn(g, x, m, name):
    ins = [x] + [g.init("%s.%s" % (name, p), f32(getattr(m, k)))
                 for p, k in (("scale", "weight"), ("bias", "bias"),
                              ("mean", "running_mean"), ("var", "running_var"))]
    return g.node("BatchNormalization", ins, {"epsilon": m.eps}, name=name,
                  outputs=[name + "_out"])


def emit_linear3d(g, x, weight, bias, name):
    """nn.Linear on a rank-3 tensor, as exporters write it: MatMul(x, W^T) + b."""
    w = g.init(name + ".weight_t", f32(weight.t()))
    y = g.node("MatMul", [x, w], name=name + "_matmul")
    return g.node("Add", [y, g.init(name + ".bias", f32(bias))], name=name + "_add")


def randomize_bn(m, gen):
    with torch.no_grad():
        c = m.num_features
        m.weight.copy_(1 + 0.3 * torch.randn(c, generator=gen))
        m.bias.copy_(0.2 * torch.randn(c, generator=gen))
        m.running_mean.copy_(0.5 * torch.randn(c, generator=gen))
        m.running_var.copy_(0.5 + torch.rand(c, generator=gen) * 1.5)


# ---------------------------------------------------------------------------
# Validation: re-load the JSON and check it against the format's rules.

TOP_KEYS = {"format", "version", "name", "buffers", "inputs", "outputs",
            "initializers", "nodes", "doc", "metadata"}
TENSOR_KEYS = {"name", "dtype", "shape", "data", "data_base64", "buffer", "offset"}
NODE_KEYS = {"name", "op", "inputs", "outputs", "attrs", "domain", "doc"}
ITEMSIZE = {"float32": 4, "int64": 8, "int32": 4}
NP_DTYPE = {"float32": "<f4", "int64": "<i8", "int32": "<i4"}


def flat_len(v):
    return sum(flat_len(x) for x in v) if isinstance(v, list) else 1


def load_tensor(t, bufs, where):
    """Returns the numpy array of an initializer (or attr tensor), checking its size."""
    shape = t["shape"]
    count = int(np.prod(shape)) if shape else 1
    forms = [k for k in ("data", "data_base64", "buffer") if k in t]
    assert len(forms) == 1, "%s: exactly one data form, got %s" % (where, forms)
    dt = NP_DTYPE[t["dtype"]]
    if "data" in t:
        assert flat_len(t["data"]) == count, "%s: data length != shape" % where
        a = np.array(t["data"], dtype=dt).reshape(shape)
    elif "data_base64" in t:
        raw = base64.b64decode(t["data_base64"], validate=True)
        assert len(raw) == count * ITEMSIZE[t["dtype"]], "%s: base64 size" % where
        a = np.frombuffer(raw, dtype=dt).reshape(shape)
    else:
        raw = bufs[t["buffer"]]
        off, n = t["offset"], count * ITEMSIZE[t["dtype"]]
        assert 0 <= off and off + n <= len(raw), "%s: buffer range" % where
        a = np.frombuffer(raw[off:off + n], dtype=dt).reshape(shape)
    return a.astype(a.dtype.newbyteorder("="))


def validate(path):
    """Re-loads model.json; returns (model, initializer arrays, buffers)."""
    with open(path) as f:
        m = json.load(f)
    d = os.path.dirname(path)
    assert set(m) <= TOP_KEYS, "unknown top-level keys %s" % (set(m) - TOP_KEYS)
    assert m["format"] == "dlc-graph" and m["version"] == 1 and m.get("name")
    bufs = []
    for b in m.get("buffers", []):
        assert set(b) <= {"uri", "byte_length", "sha256"}
        raw = open(os.path.join(d, b["uri"]), "rb").read()
        assert len(raw) == b["byte_length"], "buffer byte_length"
        if "sha256" in b:
            assert hashlib.sha256(raw).hexdigest() == b["sha256"], "buffer sha256"
        bufs.append(raw)
    defined, inits = set(), {}

    def define(v, where):
        assert v and v not in defined, "%s: value '%s' defined twice" % (where, v)
        defined.add(v)

    for t in m["inputs"]:
        assert set(t) == {"name", "dtype", "shape"} and t["dtype"] == "float32"
        define(t["name"], "inputs")
    for t in m.get("initializers", []):
        assert set(t) <= TENSOR_KEYS, "unknown tensor keys in %s" % t["name"]
        define(t["name"], "initializers")
        inits[t["name"]] = load_tensor(t, bufs, "initializer " + t["name"])
    names = set()
    for n in m["nodes"]:
        assert set(n) <= NODE_KEYS and n["name"] not in names and n["outputs"]
        names.add(n["name"])
        for o in n["outputs"]:
            define(o, "node " + n["name"])
        for k, v in n.get("attrs", {}).items():
            if isinstance(v, dict):
                load_tensor(v, bufs, "node %s attr %s" % (n["name"], k))
    for n in m["nodes"]:
        for i in n["inputs"]:
            assert i == "" or i in defined, "node %s: input '%s' undefined" % (n["name"], i)
    for o in m["outputs"]:
        assert o["name"] in defined, "output '%s' undefined" % o["name"]
    return m, inits, bufs


# ---------------------------------------------------------------------------
# Reference evaluator: ONNX opset-13 semantics, written from the attributes.


def onnx_resize(x, attrs, scales, sizes):
    """Resize of the spatial axes (N and C scale 1), per the ONNX formulas."""
    mode = attrs.get("mode", "nearest")
    ctm = attrs.get("coordinate_transformation_mode", "half_pixel")
    nmode = attrs.get("nearest_mode", "round_prefer_floor")
    y = x
    for ax in range(x.ndim):
        n_in = x.shape[ax]
        if sizes is not None:
            n_out, scale = int(sizes[ax]), float(sizes[ax]) / n_in
        else:
            scale = float(scales[ax])
            n_out = int(math.floor(n_in * scale))
        if n_out == n_in and scale == 1.0:
            continue
        o = np.arange(n_out, dtype=np.float64)
        if ctm == "half_pixel":
            src = (o + 0.5) / scale - 0.5
        elif ctm == "pytorch_half_pixel":
            src = (o + 0.5) / scale - 0.5 if n_out > 1 else np.zeros(n_out)
        elif ctm == "align_corners":
            src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros(n_out)
        elif ctm == "asymmetric":
            src = o / scale
        else:
            raise ValueError(ctm)
        if mode == "nearest":
            idx = {"floor": np.floor, "ceil": np.ceil,
                   "round_prefer_floor": lambda v: np.ceil(v - 0.5),
                   "round_prefer_ceil": lambda v: np.floor(v + 0.5)}[nmode](src)
            idx = np.clip(idx, 0, n_in - 1).astype(np.int64)
            y = np.take(y, idx, axis=ax)
        else:
            src = np.clip(src, 0, n_in - 1)
            i0 = np.floor(src).astype(np.int64)
            i1 = np.minimum(i0 + 1, n_in - 1)
            shp = [1] * x.ndim
            shp[ax] = n_out
            w = (src - i0).reshape(shp)
            y = np.take(y, i0, axis=ax) * (1 - w) + np.take(y, i1, axis=ax) * w
    return y


def torch_pads(pads, rank, dims):
    """ONNX pads (all begins, then all ends) for the last `dims` axes as F.pad's list."""
    out = []
    for ax in range(rank - 1, rank - 1 - dims, -1):
        out += [pads[ax], pads[ax + rank]]
    return out


def run_node(op, a, ins, env_get):
    x = ins[0] if ins else None
    if op == "Conv":
        k = len(x.shape) - 2
        pads = a.get("pads", [0] * 2 * k)
        xp = F.pad(x, torch_pads(pads, k, k))
        fn = F.conv1d if k == 1 else F.conv2d
        return [fn(xp, ins[1], ins[2] if len(ins) > 2 else None, a.get("strides", 1), 0,
                   a.get("dilations", 1), a.get("group", 1))]
    if op == "ConvTranspose":
        pads = a.get("pads", [0, 0, 0, 0])
        assert pads[:2] == pads[2:]
        return [F.conv_transpose2d(x, ins[1], ins[2] if len(ins) > 2 else None,
                                   a.get("strides", 1), pads[:2], a.get("output_padding", 0),
                                   a.get("group", 1), a.get("dilations", 1))]
    if op in ("MaxPool", "AveragePool"):
        pads = a.get("pads", [0, 0, 0, 0])
        assert pads[:2] == pads[2:]
        if op == "MaxPool":
            return [F.max_pool2d(x, a["kernel_shape"], a.get("strides", 1), pads[:2],
                                 a.get("dilations", 1), bool(a.get("ceil_mode", 0)))]
        return [F.avg_pool2d(x, a["kernel_shape"], a.get("strides", 1), pads[:2],
                             bool(a.get("ceil_mode", 0)), bool(a.get("count_include_pad", 0)))]
    if op == "GlobalAveragePool":
        return [x.mean(dim=(2, 3), keepdim=True)]
    if op == "GlobalMaxPool":
        return [x.amax(dim=(2, 3), keepdim=True)]
    if op == "BatchNormalization":
        return [F.batch_norm(x, ins[3], ins[4], ins[1], ins[2], False, 0.0, a.get("epsilon", 1e-5))]
    if op == "InstanceNormalization":
        return [F.instance_norm(x, weight=ins[1], bias=ins[2], eps=a.get("epsilon", 1e-5))]
    if op == "LayerNormalization":
        axis = a.get("axis", -1) % x.ndim
        return [F.layer_norm(x, x.shape[axis:], ins[1], ins[2] if len(ins) > 2 else None,
                             a.get("epsilon", 1e-5))]
    if op == "Softmax":
        return [torch.softmax(x, a.get("axis", -1))]
    if op == "LogSoftmax":
        return [torch.log_softmax(x, a.get("axis", -1))]
    if op == "ReduceMean":
        axes = a.get("axes", list(range(x.ndim)))
        return [x.mean(dim=axes, keepdim=bool(a.get("keepdims", 1)))]
    if op == "MatMul":
        return [torch.matmul(x, ins[1])]
    if op == "Gemm":
        A = x.t() if a.get("transA", 0) else x
        B = ins[1].t() if a.get("transB", 0) else ins[1]
        y = a.get("alpha", 1.0) * (A @ B)
        if len(ins) > 2 and ins[2] is not None:
            y = y + a.get("beta", 1.0) * ins[2]
        return [y]
    unary = {"Relu": torch.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh,
             "Erf": torch.erf, "Sqrt": torch.sqrt, "Exp": torch.exp,
             "Identity": lambda v: v, "Dropout": lambda v: v}
    if op in unary:
        return [unary[op](x)]
    if op == "LeakyRelu":
        return [torch.where(x < 0, a.get("alpha", 0.01) * x, x)]
    if op == "PRelu":
        return [torch.where(x < 0, ins[1] * x, x)]
    if op == "Elu":
        return [torch.where(x < 0, a.get("alpha", 1.0) * (torch.exp(x) - 1), x)]
    if op == "HardSigmoid":
        return [torch.clamp(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0, 1)]
    if op == "HardSwish":
        return [x * torch.clamp(x / 6 + 0.5, 0, 1)]
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
        return [torch.clamp(x, None if lo is None else float(lo), None if hi is None else float(hi))]
    binary = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div,
              "Pow": torch.pow}
    if op in binary:
        return [binary[op](x, ins[1])]
    if op == "Flatten":
        axis = a.get("axis", 1) % (x.ndim + 1) if a.get("axis", 1) < 0 else a.get("axis", 1)
        return [x.reshape(int(np.prod(x.shape[:axis])), -1)]
    if op == "Reshape":
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(ins[1].tolist())]
        return [x.reshape(shape)]
    if op == "Transpose":
        return [x.permute(a.get("perm", list(range(x.ndim))[::-1]))]
    if op == "Concat":
        return [torch.cat(ins, a["axis"])]
    if op == "Split":
        axis = a.get("axis", 0)
        split = ins[1].tolist() if len(ins) > 1 and ins[1] is not None else None
        if split is None:
            return list(torch.chunk(x, env_get("n_out"), axis))
        return list(torch.split(x, split, axis))
    if op == "Slice":
        xn = x.numpy()
        starts, ends = ins[1].tolist(), ins[2].tolist()
        axes = ins[3].tolist() if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
        steps = ins[4].tolist() if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        sl = [slice(None)] * xn.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            sl[ax] = slice(s, e, st)
        return [torch.from_numpy(np.ascontiguousarray(xn[tuple(sl)]))]
    if op == "Pad":
        pads = ins[1].tolist()
        r = x.ndim
        width = [(pads[i], pads[i + r]) for i in range(r)]
        mode = a.get("mode", "constant")
        if mode == "constant":
            cv = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
            y = np.pad(x.numpy(), width, mode="constant", constant_values=cv)
        else:
            y = np.pad(x.numpy(), width, mode={"reflect": "reflect", "edge": "edge"}[mode])
        return [torch.from_numpy(y)]
    if op == "Resize":
        scales = ins[2] if len(ins) > 2 and ins[2] is not None and ins[2].numel() else None
        sizes = ins[3] if len(ins) > 3 and ins[3] is not None else None
        y = onnx_resize(x.double().numpy(), a,
                        None if scales is None else scales.tolist(),
                        None if sizes is None else sizes.tolist())
        return [torch.from_numpy(y).float()]
    if op == "DepthToSpace":
        b = a["blocksize"]
        n, c, h, w = x.shape
        if a.get("mode", "DCR") == "DCR":
            t = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
        else:
            t = x.reshape(n, c // (b * b), b, b, h, w).permute(0, 1, 4, 2, 5, 3)
        return [t.reshape(n, c // (b * b), h * b, w * b)]
    if op == "Constant":
        return [torch.from_numpy(load_tensor(a["value"], [], "Constant").copy())]
    if op == "Shape":
        return [torch.tensor(list(x.shape), dtype=torch.int64)]
    if op == "Gather":
        axis = a.get("axis", 0) % x.ndim
        idx = ins[1] % x.shape[axis]
        y = x.index_select(axis, idx.reshape(-1))
        return [y.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])]
    if op == "Unsqueeze":
        r = x.ndim + ins[1].numel()
        shape = list(x.shape)
        for ax in sorted(v % r for v in ins[1].tolist()):
            shape.insert(ax, 1)
        return [x.reshape(shape)]
    if op == "Squeeze":
        if len(ins) > 1 and ins[1] is not None:
            axes = {v % x.ndim for v in ins[1].tolist()}
        else:
            axes = {i for i, s in enumerate(x.shape) if s == 1}
        return [x.reshape([s for i, s in enumerate(x.shape) if i not in axes])]
    raise NotImplementedError(op)


def evaluate(model, inits, feeds):
    env = {k: torch.from_numpy(v.copy()) for k, v in inits.items()}
    for t, v in zip(model["inputs"], feeds):
        env[t["name"]] = torch.from_numpy(v.copy())
    pending = list(model["nodes"])
    while pending:
        ready = [n for n in pending if all(i == "" or i in env for i in n["inputs"])]
        assert ready, "cycle or undefined input"
        for n in ready:
            ins = [env[i] if i else None for i in n["inputs"]]
            outs = run_node(n["op"], n.get("attrs", {}), ins,
                            lambda k: len(n["outputs"]))
            assert len(outs) == len(n["outputs"]), n["name"]
            env.update(zip(n["outputs"], outs))
            pending.remove(n)
    return [env[o["name"]].numpy() for o in model["outputs"]]


# ---------------------------------------------------------------------------
# Cases. Each returns (graph, [inputs], [expected], note).

CASES = []


def case(kind="op", tol=None):
    def reg(fn):
        CASES.append((fn.__name__[2:], kind, tol or (OP_TOL if kind == "op" else NET_TOL), fn))
        return fn
    return reg


class Rng:
    """A torch generator seeded from the case name, so cases are independent."""

    def __init__(self, name):
        self.gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        torch.manual_seed(zlib.crc32(name.encode()))  # nn.Module initialisers

    def randn(self, *shape, scale=1.0):
        return torch.randn(tuple(shape), generator=self.gen) * scale

    def uniform(self, lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(tuple(shape), generator=self.gen)


def unary_case(name, op, fn, shape=(2, 3, 4, 5), scale=3.0, attrs=None, lo=None, hi=None):
    r = Rng(name)
    x = r.uniform(lo, hi, *shape) if lo is not None else r.randn(*shape, scale=scale)
    g = Graph(name)
    g.input("x", shape)
    g.node(op, ["x"], attrs, outputs=["y"])
    g.output("y")
    return g, [x], [fn(x)]


def conv_case(name, shape, conv, pads=None, explicit_empty_bias=False):
    """One Conv node from an nn.Conv2d; `pads` (ONNX order) overrides its padding,
    torch then pads with F.pad (the module's own padding must be 0)."""
    r = Rng(name)
    x = r.randn(*shape)
    g = Graph(name)
    g.input("x", shape)
    w = g.init("w", f32(conv.weight))
    b = g.init("b", f32(conv.bias)) if conv.bias is not None else ""
    ph, pw = pair(conv.padding)
    attrs = {"kernel_shape": pair(conv.kernel_size), "strides": pair(conv.stride),
             "pads": pads or [ph, pw, ph, pw], "dilations": pair(conv.dilation),
             "group": conv.groups}
    ins = ["x", w, b] if (b or explicit_empty_bias) else ["x", w]
    g.node("Conv", ins, attrs, outputs=["y"])
    g.output("y")
    y = conv(F.pad(x, torch_pads(pads, 2, 2)) if pads else x)
    return g, [x], [y]


@case()
def c_conv_plain():
    torch.manual_seed(1)
    return conv_case("conv_plain", (1, 3, 8, 8), nn.Conv2d(3, 4, 3, padding=1)) + (
        "3x3, pad 1, bias",)


@case()
def c_conv_stride2_asym_pads():
    torch.manual_seed(2)
    return conv_case("conv_stride2_asym_pads", (1, 3, 9, 10), nn.Conv2d(3, 4, 3, stride=2),
                     pads=[0, 1, 1, 2]) + (
        "stride 2, pads [h_begin 0, w_begin 1, h_end 1, w_end 2]; torch: F.pad then conv",)


@case()
def c_conv_dilation2():
    torch.manual_seed(3)
    return conv_case("conv_dilation2", (1, 2, 9, 9), nn.Conv2d(2, 3, 3, padding=2, dilation=2)) + (
        "dilation 2, pad 2",)


@case()
def c_conv_groups2():
    torch.manual_seed(4)
    return conv_case("conv_groups2", (1, 4, 7, 7), nn.Conv2d(4, 6, 3, padding=1, groups=2)) + (
        "group 2: W (6, 2, 3, 3)",)


@case()
def c_conv_depthwise():
    torch.manual_seed(5)
    return conv_case("conv_depthwise", (1, 4, 8, 8),
                     nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False),
                     explicit_empty_bias=True) + (
        "depthwise (group = C = 4), no bias given as an explicit \"\" input",)


@case()
def c_conv_depthwise_mult2():
    torch.manual_seed(6)
    return conv_case("conv_depthwise_mult2", (1, 3, 6, 6),
                     nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3)) + (
        "depthwise with channel multiplier 2 (group 3, 3 -> 6), stride 2",)


@case()
def c_conv_nobias():
    torch.manual_seed(7)
    return conv_case("conv_nobias", (2, 3, 6, 6), nn.Conv2d(3, 5, 3, bias=False)) + (
        "no bias (two inputs), no padding, batch 2",)


@case()
def c_conv_1x1():
    torch.manual_seed(8)
    return conv_case("conv_1x1", (2, 8, 5, 5), nn.Conv2d(8, 4, 1)) + ("1x1 (pointwise), batch 2",)


@case()
def c_conv_rect_kernel():
    torch.manual_seed(9)
    return conv_case("conv_rect_kernel", (1, 2, 7, 11),
                     nn.Conv2d(2, 3, (3, 5), stride=(1, 2), padding=(1, 2))) + (
        "kernel 3x5, strides [1, 2], pads [1, 2, 1, 2]",)


def conv_transpose_case(name, shape, m, note):
    r = Rng(name)
    x = r.randn(*shape)
    g = Graph(name)
    g.input("x", shape)
    ins = ["x", g.init("w", f32(m.weight))]
    if m.bias is not None:
        ins.append(g.init("b", f32(m.bias)))
    ph, pw = pair(m.padding)
    attrs = {"kernel_shape": pair(m.kernel_size), "strides": pair(m.stride),
             "pads": [ph, pw, ph, pw], "dilations": pair(m.dilation), "group": m.groups}
    if any(pair(m.output_padding)):
        attrs["output_padding"] = pair(m.output_padding)
    g.node("ConvTranspose", ins, attrs, outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], note


@case()
def c_conv_transpose_stride2():
    torch.manual_seed(10)
    return conv_transpose_case("conv_transpose_stride2", (1, 4, 5, 5),
                               nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1),
                               "k3 s2 pads 1, output_padding [1, 1]: 5x5 -> 10x10; W (Cin, Cout, kh, kw)")


@case()
def c_conv_transpose_groups():
    torch.manual_seed(11)
    return conv_transpose_case("conv_transpose_groups", (1, 4, 4, 5),
                               nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, groups=2),
                               "k4 s2 pads 1, group 2: W (4, 3, 4, 4), 4x5 -> 8x10")


@case()
def c_conv_transpose_k2s2_nobias():
    torch.manual_seed(12)
    return conv_transpose_case("conv_transpose_k2s2_nobias", (2, 3, 4, 4),
                               nn.ConvTranspose2d(3, 2, 2, stride=2, bias=False),
                               "k2 s2 no pads, no bias (U-Net upsampling), batch 2")


def pool_case(name, shape, op, attrs, fn, note):
    r = Rng(name)
    x = r.randn(*shape)
    g = Graph(name)
    g.input("x", shape)
    g.node(op, ["x"], attrs, outputs=["y"])
    g.output("y")
    return g, [x], [fn(x)], note


@case()
def c_maxpool_ceil():
    return pool_case("maxpool_ceil", (1, 2, 8, 8), "MaxPool",
                     {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1},
                     lambda x: F.max_pool2d(x, 3, 2, ceil_mode=True),
                     "k3 s2 ceil_mode 1: 8x8 -> 4x4 (floor would give 3x3); last window is cut")


@case()
def c_maxpool_pads():
    return pool_case("maxpool_pads", (1, 3, 7, 7), "MaxPool",
                     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
                     lambda x: F.max_pool2d(x, 3, 2, 1),
                     "k3 s2 pads 1 (ResNet stem pool); padding never wins the max")


@case()
def c_maxpool_dilation():
    return pool_case("maxpool_dilation", (1, 2, 9, 9), "MaxPool",
                     {"kernel_shape": [3, 3], "strides": [1, 1], "pads": [1, 1, 1, 1],
                      "dilations": [2, 2]},
                     lambda x: F.max_pool2d(x, 3, 1, 1, dilation=2),
                     "k3 dilations 2 pads 1 stride 1: 9x9 -> 7x7")


@case()
def c_avgpool_pads_exclude():
    return pool_case("avgpool_pads_exclude", (1, 3, 6, 6), "AveragePool",
                     {"kernel_shape": [3, 3], "strides": [1, 1], "pads": [1, 1, 1, 1],
                      "count_include_pad": 0},
                     lambda x: F.avg_pool2d(x, 3, 1, 1, count_include_pad=False),
                     "k3 s1 pads 1, count_include_pad 0: border windows divide by valid count")


@case()
def c_avgpool_pads_include():
    return pool_case("avgpool_pads_include", (1, 3, 7, 7), "AveragePool",
                     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                      "count_include_pad": 1},
                     lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True),
                     "k3 s2 pads 1, count_include_pad 1: always divide by 9")


@case()
def c_avgpool_ceil():
    return pool_case("avgpool_ceil", (1, 2, 8, 8), "AveragePool",
                     {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1},
                     lambda x: F.avg_pool2d(x, 3, 2, ceil_mode=True),
                     "k3 s2 ceil_mode 1, no pads: the cut last window divides by its 2 valid rows/cols")


@case()
def c_avgpool_ceil_include_pad():
    return pool_case("avgpool_ceil_include_pad", (1, 2, 8, 8), "AveragePool",
                     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                      "ceil_mode": 1, "count_include_pad": 1},
                     lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True),
                     "k3 s2 pads 1 ceil_mode 1 count_include_pad 1: 8x8 -> 5x5. Divisor counts the "
                     "explicit padding but not the ceil overhang past it (window end clipped to H + "
                     "pad_end), so the last window divides by 2 per axis: PyTorch's rule, and ONNX's "
                     "as clarified in onnx/onnx#5276 (onnxruntime before #16752 divided by 9)")


@case()
def c_global_average_pool():
    return pool_case("global_average_pool", (2, 3, 5, 7), "GlobalAveragePool", None,
                     lambda x: F.adaptive_avg_pool2d(x, 1), "N, C kept; H, W -> 1")


@case()
def c_global_max_pool():
    return pool_case("global_max_pool", (2, 3, 5, 7), "GlobalMaxPool", None,
                     lambda x: F.adaptive_max_pool2d(x, 1), "N, C kept; H, W -> 1")


@case()
def c_batch_normalization():
    name = "batch_normalization"
    r = Rng(name)
    m = nn.BatchNorm2d(4).eval()
    randomize_bn(m, r.gen)
    x = r.randn(2, 4, 5, 5)
    g = Graph(name)
    g.input("x", [2, 4, 5, 5])
    emit_bn(g, "x", m, "bn")
    g.nodes[-1]["outputs"] = ["y"]
    g.output("y")
    return g, [x], [m(x)], "inference form, random scale/bias/mean/var, epsilon 1e-5"


@case()
def c_instance_normalization():
    name = "instance_normalization"
    r = Rng(name)
    m = nn.InstanceNorm2d(3, affine=True, eps=1e-5).eval()
    with torch.no_grad():
        m.weight.copy_(r.uniform(0.5, 1.5, 3))
        m.bias.copy_(r.randn(3, scale=0.5))
    x = r.randn(2, 3, 4, 6, scale=2.0) + 1.0
    g = Graph(name)
    g.input("x", [2, 3, 4, 6])
    g.node("InstanceNormalization", ["x", g.init("scale", f32(m.weight)), g.init("b", f32(m.bias))],
           {"epsilon": 1e-5}, outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], "per (n, c) statistics over H, W (biased variance), epsilon 1e-5"


def layer_norm_case(name, shape, axis, with_bias, eps, note):
    r = Rng(name)
    nshape = shape[axis:]
    w = r.uniform(0.5, 1.5, *nshape)
    b = r.randn(*nshape, scale=0.5) if with_bias else None
    x = r.randn(*shape, scale=2.0) + 0.5
    g = Graph(name)
    g.input("x", shape)
    ins = ["x", g.init("scale", f32(w))] + ([g.init("b", f32(b))] if with_bias else [])
    g.node("LayerNormalization", ins, {"axis": axis, "epsilon": eps}, outputs=["y"])
    g.output("y")
    return g, [x], [F.layer_norm(x, nshape, w, b, eps)], note


@case()
def c_layer_normalization():
    return layer_norm_case("layer_normalization", (2, 5, 16), -1, True, 1e-5,
                           "axis -1 (nn.LayerNorm(16)), epsilon 1e-5")


@case()
def c_layer_normalization_2d():
    return layer_norm_case("layer_normalization_2d", (2, 3, 4, 6), 2, True, 1e-6,
                           "axis 2: normalise over the last two axes, scale/bias (4, 6), epsilon 1e-6")


@case()
def c_layer_normalization_nobias():
    return layer_norm_case("layer_normalization_nobias", (3, 8), -1, False, 1e-5,
                           "optional bias omitted (two inputs)")


@case()
def c_relu():
    return unary_case("relu", "Relu", torch.relu) + ("inputs ~N(0, 3)",)


@case()
def c_leaky_relu():
    return unary_case("leaky_relu", "LeakyRelu", lambda x: F.leaky_relu(x, 0.1),
                      attrs={"alpha": 0.1}) + ("alpha 0.1",)


@case()
def c_prelu():
    name = "prelu"
    r = Rng(name)
    m = nn.PReLU(3)
    with torch.no_grad():
        m.weight.copy_(r.uniform(-0.5, 0.5, 3))
    x = r.randn(2, 3, 4, 5, scale=3.0)
    g = Graph(name)
    g.input("x", [2, 3, 4, 5])
    g.node("PRelu", ["x", g.init("slope", f32(m.weight.reshape(3, 1, 1)))], outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], "per-channel slope shaped [C, 1, 1] (unidirectional broadcast), some negative"


@case()
def c_elu():
    return unary_case("elu", "Elu", lambda x: F.elu(x, 0.7), attrs={"alpha": 0.7}) + ("alpha 0.7",)


@case()
def c_sigmoid():
    return unary_case("sigmoid", "Sigmoid", torch.sigmoid, scale=6.0) + ("inputs up to ~+-20",)


@case()
def c_tanh():
    return unary_case("tanh", "Tanh", torch.tanh) + ("inputs ~N(0, 3), saturating",)


def clip_case(name, lo, hi, note):
    r = Rng(name)
    x = r.randn(2, 3, 4, 5, scale=5.0)
    g = Graph(name)
    g.input("x", [2, 3, 4, 5])
    ins = ["x", g.init("min", f32(lo)) if lo is not None else "",
           g.init("max", f32(hi)) if hi is not None else ""]
    while ins[-1] == "":
        ins.pop()
    g.node("Clip", ins, outputs=["y"])
    g.output("y")
    return g, [x], [torch.clamp(x, lo, hi)], note


@case()
def c_clip_relu6():
    return clip_case("clip_relu6", 0.0, 6.0, "ReLU6: min 0, max 6 as rank-0 float32 initializers")


@case()
def c_clip_max_only():
    return clip_case("clip_max_only", None, 1.5, "min omitted (\"\"), max 1.5")


@case()
def c_clip_min_only():
    return clip_case("clip_min_only", -1.0, None, "max omitted (input list ends after min)")


@case()
def c_hard_sigmoid():
    return unary_case("hard_sigmoid", "HardSigmoid", F.hardsigmoid,
                      attrs={"alpha": 1.0 / 6.0, "beta": 0.5}) + (
        "alpha 1/6, beta 0.5: PyTorch's hardsigmoid (ONNX default alpha is 0.2)",)


@case()
def c_hard_swish():
    return unary_case("hard_swish", "HardSwish", F.hardswish) + ("x * relu6(x + 3) / 6",)


@case()
def c_softmax():
    return unary_case("softmax", "Softmax", lambda x: torch.softmax(x, -1), shape=(2, 3, 10),
                      scale=50.0, attrs={"axis": -1}) + (
        "axis -1, inputs of magnitude ~100: needs max subtraction",)


@case()
def c_softmax_axis1():
    return unary_case("softmax_axis1", "Softmax", lambda x: torch.softmax(x, 1), shape=(2, 5, 3, 4),
                      scale=50.0, attrs={"axis": 1}) + (
        "axis 1 of NCHW (opset 13: a single axis, not flattened), magnitude ~100",)


@case()
def c_log_softmax():
    return unary_case("log_softmax", "LogSoftmax", lambda x: torch.log_softmax(x, -1),
                      shape=(4, 10), scale=50.0, attrs={"axis": -1}) + (
        "axis -1, inputs of magnitude ~100 (outputs down to ~-300)",)


def binary_case(name, op, fn, sa, sb, b_init=False, b_lo=None, note=""):
    r = Rng(name)
    a = r.randn(*sa, scale=2.0)
    if b_lo is not None:
        b = r.uniform(b_lo, 2.0, *sb) * torch.where(r.randn(*sb) < 0, -1.0, 1.0)
    else:
        b = r.randn(*sb, scale=2.0)
    g = Graph(name)
    g.input("a", sa)
    if b_init:
        bn = g.init("b", f32(b))
    else:
        bn = g.input("b", sb)
    g.node(op, ["a", bn], outputs=["y"])
    g.output("y")
    return g, [a] if b_init else [a, b], [fn(a, b)], note


@case()
def c_add_broadcast():
    return binary_case("add_broadcast", "Add", torch.add, (2, 3, 4, 5), (3, 1, 5),
                       note="(2,3,4,5) + (3,1,5): rank and size-1 broadcast, two graph inputs")


@case()
def c_sub_broadcast():
    return binary_case("sub_broadcast", "Sub", torch.sub, (2, 3, 4, 5), (5,), b_init=True,
                       note="(2,3,4,5) - initializer (5,)")


@case()
def c_mul_broadcast():
    return binary_case("mul_broadcast", "Mul", torch.mul, (2, 1, 4, 1), (1, 3, 1, 5),
                       note="(2,1,4,1) * (1,3,1,5) -> (2,3,4,5): both sides broadcast")


@case()
def c_div_broadcast():
    return binary_case("div_broadcast", "Div", torch.div, (2, 3, 4, 5), (3, 1, 1), b_init=True,
                       b_lo=0.5, note="(2,3,4,5) / initializer (3,1,1), |divisor| >= 0.5")


@case()
def c_div_scalar():
    return binary_case("div_scalar", "Div", torch.div, (3, 7), (), b_init=True, b_lo=0.5,
                       note="divide by a rank-0 initializer")


@case()
def c_matmul_batched():
    return binary_case("matmul_batched", "MatMul", torch.matmul, (2, 1, 4, 5), (3, 5, 6),
                       note="(2,1,4,5) @ (3,5,6) -> (2,3,4,6): batch dims broadcast")


@case()
def c_matmul_weight():
    return binary_case("matmul_weight", "MatMul", torch.matmul, (2, 7, 12), (12, 9), b_init=True,
                       note="rank-3 x rank-2 initializer (nn.Linear on 3-D input, as exported)")


@case()
def c_gemm_linear():
    name = "gemm_linear"
    Rng(name)
    m = nn.Linear(16, 8)
    x = Rng(name + "x").randn(4, 16)
    g = Graph(name)
    g.input("x", [4, 16])
    g.node("Gemm", ["x", g.init("w", f32(m.weight)), g.init("b", f32(m.bias))],
           {"alpha": 1.0, "beta": 1.0, "transB": 1}, outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], "nn.Linear(16, 8): transB 1, W (8, 16), bias (8,)"


@case()
def c_gemm_alpha_beta():
    name = "gemm_alpha_beta"
    r = Rng(name)
    a, b, c = r.randn(6, 4), r.randn(6, 5), r.randn(1, 5)
    g = Graph(name)
    g.input("a", [6, 4])
    g.node("Gemm", ["a", g.init("b", f32(b)), g.init("c", f32(c))],
           {"alpha": 0.5, "beta": 2.0, "transA": 1}, outputs=["y"])
    g.output("y")
    return g, [a], [0.5 * (a.t() @ b) + 2.0 * c], "transA 1 (A (6,4)), alpha 0.5, beta 2, C (1,5) broadcast"


def shape_case(name, shape, build, fn, note, n_out=1):
    """A data-movement case: build(g) adds the nodes reading "x"."""
    r = Rng(name)
    x = r.randn(*shape)
    g = Graph(name)
    g.input("x", shape)
    build(g)
    ys = fn(x)
    return g, [x], ys if isinstance(ys, (list, tuple)) else [ys], note


@case()
def c_flatten():
    return shape_case("flatten", (2, 3, 4, 5),
                      lambda g: (g.node("Flatten", ["x"], {"axis": 1}, outputs=["y"]), g.output("y")),
                      lambda x: torch.flatten(x, 1), "axis 1 -> (2, 60)")


@case()
def c_flatten_axis2():
    return shape_case("flatten_axis2", (2, 3, 4, 5),
                      lambda g: (g.node("Flatten", ["x"], {"axis": 2}, outputs=["y"]), g.output("y")),
                      lambda x: x.reshape(6, 20), "axis 2 -> (6, 20)")


@case()
def c_reshape():
    def build(g):
        g.node("Reshape", ["x", g.init("shape", i64([0, 4, -1]))], outputs=["y"])
        g.output("y")
    return shape_case("reshape", (2, 3, 4, 5), build, lambda x: x.reshape(2, 4, 15),
                      "shape [0, 4, -1]: 0 copies the input dim, -1 is inferred -> (2, 4, 15)")


@case()
def c_transpose():
    return shape_case("transpose", (2, 3, 4, 5),
                      lambda g: (g.node("Transpose", ["x"], {"perm": [0, 2, 3, 1]}, outputs=["y"]),
                                 g.output("y")),
                      lambda x: x.permute(0, 2, 3, 1).contiguous(), "perm [0, 2, 3, 1] (NCHW -> NHWC)")


@case()
def c_concat():
    name = "concat"
    r = Rng(name)
    a, b, c = r.randn(2, 3, 4), r.randn(2, 1, 4), r.randn(2, 2, 4)
    g = Graph(name)
    g.input("a", [2, 3, 4])
    g.input("b", [2, 1, 4])
    g.node("Concat", ["a", "b", g.init("c", f32(c))], {"axis": 1}, outputs=["y"])
    g.output("y")
    return g, [a, b], [torch.cat([a, b, c], 1)], "axis 1 of two graph inputs and an initializer"


@case()
def c_split():
    def build(g):
        g.node("Split", ["x", g.init("split", i64([1, 3, 2]))], {"axis": 1},
               outputs=["y0", "y1", "y2"])
        g.output("y0", "y1", "y2")
    return shape_case("split", (2, 6, 4), build, lambda x: torch.split(x, [1, 3, 2], 1),
                      "split [1, 3, 2] on axis 1: three outputs")


@case()
def c_split_equal():
    def build(g):
        g.node("Split", ["x"], {"axis": -1}, outputs=["y0", "y1", "y2"])
        g.output("y0", "y1", "y2")
    return shape_case("split_equal", (2, 4, 6), build, lambda x: torch.chunk(x, 3, -1),
                      "no split input: equal parts, axis -1")


def slice_case(name, shape, starts, ends, axes, steps, note):
    def build(g):
        ins = ["x", g.init("starts", i64(starts)), g.init("ends", i64(ends))]
        if axes is not None:
            ins.append(g.init("axes", i64(axes)))
        if steps is not None:
            ins.append(g.init("steps", i64(steps)))
        g.node("Slice", ins, outputs=["y"])
        g.output("y")

    def fn(x):
        sl = [slice(None)] * x.ndim
        for i, (s, e) in enumerate(zip(starts, ends)):
            ax = axes[i] if axes is not None else i
            sl[ax] = slice(s, e, steps[i] if steps is not None else 1)
        # numpy slicing clamps exactly as ONNX Slice does (also for negative steps)
        return torch.from_numpy(np.ascontiguousarray(x.numpy()[tuple(sl)]))
    return shape_case(name, shape, build, fn, note)


@case()
def c_slice_basic():
    return slice_case("slice_basic", (2, 5, 6, 7), [1, -3], [INT64_MAX, -1], [1, 3], None,
                      "axes [1, 3], starts [1, -3], ends [INT64_MAX, -1] (x[:, 1:, :, -3:-1]); "
                      "no steps input")


@case()
def c_slice_neg_steps():
    return slice_case("slice_neg_steps", (3, 8, 10), [-1, 8], [INT64_MIN, 1], [1, -1], [-2, -3],
                      "axes [1, -1], starts [-1, 8], ends [INT64_MIN, 1], steps [-2, -3]: "
                      "rows 7,5,3,1 and cols 8,5,2")


@case()
def c_slice_default_axes():
    return slice_case("slice_default_axes", (4, 6), [1, 0], [3, 100], None, None,
                      "only starts and ends: axes default to 0..k-1, end 100 is clamped")


def pad_case(name, shape, pads, mode, value, fn, note):
    def build(g):
        ins = ["x", g.init("pads", i64(pads))]
        if value is not None:
            ins.append(g.init("value", f32(value)))
        g.node("Pad", ins, {"mode": mode}, outputs=["y"])
        g.output("y")
    return shape_case(name, shape, build, fn, note)


@case()
def c_pad_constant():
    pads = [0, 1, 2, 0, 0, 0, 1, 3]
    return pad_case("pad_constant", (1, 2, 4, 5), pads, "constant", 0.5,
                    lambda x: F.pad(x, torch_pads(pads, 4, 3), value=0.5),
                    "pads [0,1,2,0, 0,0,1,3] (begins then ends, also on C), constant_value 0.5")


@case()
def c_pad_reflect():
    pads = [0, 0, 1, 2, 0, 0, 2, 1]
    return pad_case("pad_reflect", (1, 2, 4, 5), pads, "reflect", None,
                    lambda x: F.pad(x, torch_pads(pads, 4, 2), mode="reflect"),
                    "reflect (edge not repeated), pads H 1/2 W 2/1; no constant_value input")


@case()
def c_pad_edge():
    pads = [0, 0, 2, 1, 0, 0, 0, 3]
    return pad_case("pad_edge", (1, 2, 4, 5), pads, "edge", None,
                    lambda x: F.pad(x, torch_pads(pads, 4, 2), mode="replicate"),
                    "edge (torch 'replicate'), pads H 2/0 W 1/3")


def resize_case(name, shape, attrs, scales, sizes, fn, note):
    def build(g):
        ins = ["x", "", g.init("scales", f32(scales)) if scales else "",
               g.init("sizes", i64(sizes)) if sizes else ""]
        while ins[-1] == "":
            ins.pop()
        g.node("Resize", ins, attrs, outputs=["y"])
        g.output("y")
    return shape_case(name, shape, build, fn, note)


@case()
def c_resize_nearest():
    return resize_case("resize_nearest", (1, 2, 3, 4),
                       {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                        "nearest_mode": "floor"}, [1, 1, 2, 3], None,
                       lambda x: F.interpolate(x, scale_factor=(2, 3), mode="nearest"),
                       "torch 'nearest': asymmetric + floor, scales [1, 1, 2, 3]")


@case()
def c_resize_linear_half_pixel():
    return resize_case("resize_linear_half_pixel", (1, 2, 4, 5),
                       {"mode": "linear", "coordinate_transformation_mode": "half_pixel"},
                       [1, 1, 2, 2], None,
                       lambda x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                               align_corners=False),
                       "bilinear, align_corners=False = half_pixel, scales [1, 1, 2, 2]; "
                       "source coords < 0 clamp to the edge")


@case()
def c_resize_linear_align_corners():
    return resize_case("resize_linear_align_corners", (1, 2, 4, 5),
                       {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
                       None, [1, 2, 7, 9],
                       lambda x: F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True),
                       "bilinear, align_corners=True, sizes [1, 2, 7, 9] (roi and scales \"\")")


@case()
def c_resize_linear_pytorch_half_pixel():
    # pytorch_half_pixel equals half_pixel except that an output axis of length 1
    # samples source coordinate 0. torch itself (1.13) samples the centre there,
    # so torch computes the expected value from row 0 of the input.
    return resize_case("resize_linear_pytorch_half_pixel", (1, 2, 6, 8),
                       {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"},
                       None, [1, 2, 1, 5],
                       lambda x: F.interpolate(x[:, :, 0:1, :], size=(1, 5), mode="bilinear",
                                               align_corners=False),
                       "pytorch_half_pixel, sizes [1, 2, 1, 5]: H of length 1 reads source row 0, "
                       "W 8 -> 5 as half_pixel (downscale)")


@case()
def c_depth_to_space_dcr():
    b = 2

    def fn(x):
        n, c, h, w = x.shape
        return x.reshape(n, b, b, c // 4, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // 4, h * b, w * b)
    return shape_case("depth_to_space_dcr", (1, 8, 3, 4),
                      lambda g: (g.node("DepthToSpace", ["x"], {"blocksize": b, "mode": "DCR"},
                                        outputs=["y"]), g.output("y")),
                      fn, "blocksize 2, mode DCR (ONNX default; depth-column-row)")


@case()
def c_depth_to_space_crd():
    return shape_case("depth_to_space_crd", (1, 8, 3, 4),
                      lambda g: (g.node("DepthToSpace", ["x"], {"blocksize": 2, "mode": "CRD"},
                                        outputs=["y"]), g.output("y")),
                      lambda x: F.pixel_shuffle(x, 2), "blocksize 2, mode CRD = torch pixel_shuffle")


@case()
def c_reduce_mean_hw():
    return shape_case("reduce_mean_hw", (2, 3, 4, 5),
                      lambda g: (g.node("ReduceMean", ["x"], {"axes": [2, 3], "keepdims": 1},
                                        outputs=["y"]), g.output("y")),
                      lambda x: x.mean((2, 3), keepdim=True), "axes [2, 3], keepdims 1")


@case()
def c_reduce_mean_last():
    return shape_case("reduce_mean_last", (2, 3, 8),
                      lambda g: (g.node("ReduceMean", ["x"], {"axes": [-1], "keepdims": 0},
                                        outputs=["y"]), g.output("y")),
                      lambda x: x.mean(-1), "axes [-1], keepdims 0 -> (2, 3)")


@case()
def c_erf():
    return unary_case("erf", "Erf", torch.erf, scale=2.0) + ("inputs ~N(0, 2)",)


@case()
def c_sqrt():
    return unary_case("sqrt", "Sqrt", torch.sqrt, lo=0.01, hi=9.0) + ("positive inputs in [0.01, 9]",)


@case()
def c_exp():
    return unary_case("exp", "Exp", torch.exp, scale=1.5) + ("inputs ~N(0, 1.5)",)


@case()
def c_pow():
    name = "pow"
    r = Rng(name)
    x = r.uniform(0.2, 3.0, 2, 3, 4)
    e = r.uniform(-2.0, 3.0, 3, 1)
    g = Graph(name)
    g.input("x", [2, 3, 4])
    g.node("Pow", ["x", g.init("e", f32(e))], outputs=["y"])
    g.output("y")
    return g, [x], [torch.pow(x, e)], "positive base in [0.2, 3], exponent (3, 1) in [-2, 3] broadcast"


@case()
def c_pow_square():
    name = "pow_square"
    r = Rng(name)
    x = r.randn(3, 5, scale=2.0)
    g = Graph(name)
    g.input("x", [3, 5])
    g.node("Pow", ["x", g.init("two", f32(2.0))], outputs=["y"])
    g.output("y")
    return g, [x], [torch.pow(x, 2.0)], "exponent rank-0 2.0 on negative bases too (as exported x**2)"


@case()
def c_gather_axis1():
    def build(g):
        g.node("Gather", ["x", g.init("indices", i64([2, -1, 0]))], {"axis": 1}, outputs=["y"])
        g.output("y")
    return shape_case("gather_axis1", (2, 5, 3), build,
                      lambda x: x.index_select(1, torch.tensor([2, 4, 0])),
                      "axis 1, indices [2, -1, 0] (negative counts from the end)")


@case()
def c_gather_axis0_2d():
    def build(g):
        g.node("Gather", ["x", g.init("indices", i64([[0, 2], [1, 1]]))], {"axis": 0},
               outputs=["y"])
        g.output("y")
    return shape_case("gather_axis0_2d", (3, 4), build,
                      lambda x: x[torch.tensor([[0, 2], [1, 1]])],
                      "axis 0, indices (2, 2) -> output (2, 2, 4) (embedding lookup)")


@case()
def c_unsqueeze():
    def build(g):
        g.node("Unsqueeze", ["x", g.init("axes", i64([0, -1]))], outputs=["y"])
        g.output("y")
    return shape_case("unsqueeze", (3, 4), build, lambda x: x.unsqueeze(0).unsqueeze(-1),
                      "axes [0, -1] (relative to the output rank) -> (1, 3, 4, 1)")


@case()
def c_squeeze():
    def build(g):
        g.node("Squeeze", ["x", g.init("axes", i64([2]))], outputs=["y"])
        g.output("y")
    return shape_case("squeeze", (1, 3, 1, 4), build, lambda x: x.squeeze(2),
                      "axes [2] -> (1, 3, 4)")


@case()
def c_squeeze_all():
    return shape_case("squeeze_all", (1, 3, 1, 4),
                      lambda g: (g.node("Squeeze", ["x"], outputs=["y"]), g.output("y")),
                      lambda x: x.squeeze(), "no axes input: every size-1 axis -> (3, 4)")


@case()
def c_dropout():
    def build(g):
        g.node("Dropout", ["x", g.init("ratio", f32(0.3))], outputs=["y"])
        g.output("y")
    m = nn.Dropout(0.3).eval()
    return shape_case("dropout", (2, 3, 4), build, m, "ratio 0.3 given as input; identity at inference")


@case()
def c_identity():
    return shape_case("identity", (2, 3, 4),
                      lambda g: (g.node("Identity", ["x"], outputs=["y"]), g.output("y")),
                      lambda x: x.clone(), "output equals input")


@case()
def c_shape_chain():
    """x.view(x.size(0), -1) as torch.onnx exports it."""
    def build(g):
        s = g.node("Shape", ["x"])
        i0 = g.node("Constant", [], {"value": {"dtype": "int64", "shape": [], "data": [0]}})
        n = g.node("Gather", [s, i0], {"axis": 0})
        n1 = g.node("Unsqueeze", [n, g.init("axes0", i64([0]))])
        m1 = g.node("Constant", [], {"value": {"dtype": "int64", "shape": [1], "data": [-1]}})
        shape = g.node("Concat", [n1, m1], {"axis": 0})
        g.node("Reshape", ["x", shape], outputs=["y"])
        g.output("y")
    return shape_case("shape_chain", (2, 3, 4, 4), build, lambda x: x.view(x.size(0), -1),
                      "Shape -> Gather(Constant 0) -> Unsqueeze -> Concat(Constant [-1]) -> Reshape: "
                      "x.view(x.size(0), -1) -> (2, 48); int64 values, foldable at compile time")


# ---------------------------------------------------------------------------
# Nets


class ConvBnRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8)

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


def prep_net(name, m):
    r = Rng(name + "_bn")
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            randomize_bn(mod, r.gen)
    return m.eval()


@case("net")
def c_net_conv_bn_relu():
    name = "net_conv_bn_relu"
    torch.manual_seed(100)
    m = prep_net(name, ConvBnRelu())
    x = Rng(name).randn(2, 3, 16, 16)
    g = Graph(name)
    g.input("x", [2, 3, 16, 16])
    h = g.node("Relu", [emit_bn(g, emit_conv(g, "x", m.conv1, "conv1"), m.bn1, "bn1")], name="relu1")
    h = emit_bn(g, emit_conv(g, h, m.conv2, "conv2"), m.bn2, "bn2")
    g.node("Relu", [h], name="relu2", outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], "two Conv(no bias)-BatchNormalization-Relu layers, the second stride 2; batch 2"


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + self.down(x))


@case("net")
def c_net_resnet_basic_block():
    name = "net_resnet_basic_block"
    torch.manual_seed(101)
    m = prep_net(name, BasicBlock(8, 16, 2))
    x = Rng(name).randn(1, 8, 16, 16)
    g = Graph(name, weights="buffer_sha")
    g.input("x", [1, 8, 16, 16])
    h = g.node("Relu", [emit_bn(g, emit_conv(g, "x", m.conv1, "conv1"), m.bn1, "bn1")], name="relu1")
    h = emit_bn(g, emit_conv(g, h, m.conv2, "conv2"), m.bn2, "bn2")
    d = emit_bn(g, emit_conv(g, "x", m.down[0], "down.conv"), m.down[1], "down.bn")
    s = g.node("Add", [h, d], name="add")
    g.node("Relu", [s], name="relu2", outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], ("ResNet basic block 8 -> 16, stride 2, downsample conv1x1 s2 + BN; "
                            "weights in an external buffer with sha256")


class InvertedResidual(nn.Module):
    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.expand, self.bn1 = nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h)
        self.dw, self.bn2 = nn.Conv2d(h, h, 3, 1, 1, groups=h, bias=False), nn.BatchNorm2d(h)
        self.project, self.bn3 = nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu6(self.bn1(self.expand(x)))
        y = F.relu6(self.bn2(self.dw(y)))
        return x + self.bn3(self.project(y))


@case("net")
def c_net_mobilenetv2_block():
    name = "net_mobilenetv2_block"
    torch.manual_seed(102)
    m = prep_net(name, InvertedResidual(16, 6))
    x = Rng(name).randn(1, 16, 12, 12)
    g = Graph(name)
    g.input("x", [1, 16, 12, 12])
    lo, hi = g.init("relu6.min", f32(0.0)), g.init("relu6.max", f32(6.0))
    h = emit_bn(g, emit_conv(g, "x", m.expand, "expand"), m.bn1, "bn1")
    h = g.node("Clip", [h, lo, hi], name="relu6_1")
    h = emit_bn(g, emit_conv(g, h, m.dw, "dw"), m.bn2, "bn2")
    h = g.node("Clip", [h, lo, hi], name="relu6_2")
    h = emit_bn(g, emit_conv(g, h, m.project, "project"), m.bn3, "bn3")
    g.node("Add", ["x", h], name="residual", outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], ("MobileNetV2 inverted residual: expand 1x1 16 -> 96, depthwise 3x3, "
                            "ReLU6 as Clip(0, 6), project 96 -> 16, residual Add; base64 weights")


class ShuffleUnit(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.pw1, self.bn1 = nn.Conv2d(h, h, 1, bias=False), nn.BatchNorm2d(h)
        self.dw, self.bn2 = nn.Conv2d(h, h, 3, 1, 1, groups=h, bias=False), nn.BatchNorm2d(h)
        self.pw2, self.bn3 = nn.Conv2d(h, h, 1, bias=False), nn.BatchNorm2d(h)

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        y = F.relu(self.bn1(self.pw1(x2)))
        y = self.bn2(self.dw(y))
        y = F.relu(self.bn3(self.pw2(y)))
        out = torch.cat((x1, y), 1)
        n, c, h, w = out.shape
        return out.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


@case("net")
def c_net_shufflenetv2_unit():
    name = "net_shufflenetv2_unit"
    torch.manual_seed(103)
    m = prep_net(name, ShuffleUnit(16))
    x = Rng(name).randn(1, 16, 8, 8)
    g = Graph(name)
    g.input("x", [1, 16, 8, 8])
    x1, x2 = g.node("Split", ["x", g.init("split", i64([8, 8]))], {"axis": 1}, name="split",
                    outputs=["x1", "x2"])
    h = g.node("Relu", [emit_bn(g, emit_conv(g, x2, m.pw1, "pw1"), m.bn1, "bn1")], name="relu1")
    h = emit_bn(g, emit_conv(g, h, m.dw, "dw"), m.bn2, "bn2")
    h = g.node("Relu", [emit_bn(g, emit_conv(g, h, m.pw2, "pw2"), m.bn3, "bn3")], name="relu2")
    c = g.node("Concat", [x1, h], {"axis": 1}, name="concat")
    r = g.node("Reshape", [c, g.init("shape5", i64([1, 2, 8, 8, 8]))], name="shuffle_reshape1")
    t = g.node("Transpose", [r], {"perm": [0, 2, 1, 3, 4]}, name="shuffle_transpose")
    g.node("Reshape", [t, g.init("shape4", i64([1, 16, 8, 8]))], name="shuffle_reshape2",
           outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], ("ShuffleNet v2 stride-1 unit: Split, branch 1x1-dw3x3-1x1 with BN, "
                            "Concat, channel shuffle as Reshape (5-D) - Transpose - Reshape")


class SPP(nn.Module):
    def __init__(self):
        super().__init__()
        self.cv1 = nn.Conv2d(16, 8, 1)
        self.cv2 = nn.Conv2d(32, 16, 1)

    def forward(self, x):
        x = F.relu(self.cv1(x))
        ps = [F.max_pool2d(x, k, 1, k // 2) for k in (5, 9, 13)]
        return self.cv2(torch.cat([x] + ps, 1))


@case("net")
def c_net_spp():
    name = "net_spp"
    torch.manual_seed(104)
    m = SPP().eval()
    x = Rng(name).randn(1, 16, 13, 13)
    g = Graph(name)
    g.input("x", [1, 16, 13, 13])
    h = g.node("Relu", [emit_conv(g, "x", m.cv1, "cv1")], name="relu")
    ps = [g.node("MaxPool", [h], {"kernel_shape": [k, k], "strides": [1, 1],
                                  "pads": [k // 2] * 4}, name="pool%d" % k) for k in (5, 9, 13)]
    c = g.node("Concat", [h] + ps, {"axis": 1}, name="concat")
    emit_conv(g, c, m.cv2, "cv2", out="y")
    g.output("y")
    return g, [x], [m(x)], ("SPP: conv1x1, stride-1 MaxPool 5/9/13 with pads k//2 "
                            "(windows larger than half the 13x13 map), Concat, conv1x1")


class UpConcat(nn.Module):
    def __init__(self):
        super().__init__()
        self.lat = nn.Conv2d(8, 4, 1)
        self.fuse = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, low, high):
        u = F.interpolate(self.lat(low), scale_factor=2, mode="bilinear", align_corners=False)
        return F.relu(self.fuse(torch.cat([u, high], 1)))


@case("net")
def c_net_upsample_concat():
    name = "net_upsample_concat"
    torch.manual_seed(105)
    m = UpConcat().eval()
    r = Rng(name)
    low, high = r.randn(1, 8, 6, 6), r.randn(1, 4, 12, 12)
    g = Graph(name)
    g.input("low", [1, 8, 6, 6])
    g.input("high", [1, 4, 12, 12])
    h = emit_conv(g, "low", m.lat, "lat")
    u = g.node("Resize", [h, "", g.init("scales", f32([1, 1, 2, 2]))],
               {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}, name="upsample")
    c = g.node("Concat", [u, "high"], {"axis": 1}, name="concat")
    g.node("Relu", [emit_conv(g, c, m.fuse, "fuse")], name="relu", outputs=["y"])
    g.output("y")
    return g, [low, high], [m(low, high)], ("FPN-style merge, two graph inputs: conv1x1, bilinear "
                                            "x2 Resize (half_pixel), Concat, conv3x3, Relu")


class SEBlock(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.fc1, self.fc2 = nn.Conv2d(c, c // r, 1), nn.Conv2d(c // r, c, 1)

    def forward(self, x):
        y = F.relu(self.bn(self.conv(x)))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(y, 1)))))
        return y * s


@case("net")
def c_net_se_block():
    name = "net_se_block"
    torch.manual_seed(106)
    m = prep_net(name, SEBlock(16, 4))
    x = Rng(name).randn(2, 16, 8, 8)
    g = Graph(name)
    g.input("x", [2, 16, 8, 8])
    y = g.node("Relu", [emit_bn(g, emit_conv(g, "x", m.conv, "conv"), m.bn, "bn")], name="relu")
    s = g.node("GlobalAveragePool", [y], name="squeeze")
    s = g.node("Relu", [emit_conv(g, s, m.fc1, "fc1")], name="fc1_relu")
    s = g.node("Sigmoid", [emit_conv(g, s, m.fc2, "fc2")], name="gate")
    g.node("Mul", [y, s], name="excite", outputs=["y"])
    g.output("y")
    return g, [x], [m(x)], ("conv-BN-Relu then squeeze-and-excitation: GlobalAveragePool, 1x1 convs "
                            "16 -> 4 -> 16, Sigmoid, Mul broadcasting (2,16,1,1) over (2,16,8,8)")


@case("net")
def c_net_transformer_encoder():
    name = "net_transformer_encoder"
    torch.manual_seed(107)
    B, S, D, H, FF = 2, 16, 32, 4, 64
    dh = D // H
    m = nn.TransformerEncoderLayer(D, H, FF, dropout=0.1, activation="gelu",
                                   batch_first=True).eval()
    r = Rng(name)
    with torch.no_grad():  # make the layer norms non-trivial
        for ln in (m.norm1, m.norm2):
            ln.weight.copy_(r.uniform(0.5, 1.5, D))
            ln.bias.copy_(r.randn(D, scale=0.2))
    x = r.randn(B, S, D)
    with torch.no_grad():
        y = m(x)
    g = Graph(name, weights="buffer")
    g.input("x", [B, S, D])
    qkv = emit_linear3d(g, "x", m.self_attn.in_proj_weight, m.self_attn.in_proj_bias, "in_proj")
    q, k, v = g.node("Split", [qkv, g.init("qkv_split", i64([D, D, D]))], {"axis": 2},
                     name="qkv_split", outputs=["q", "k", "v"])
    heads = g.init("heads_shape", i64([B, S, H, dh]))
    q = g.node("Transpose", [g.node("Reshape", [q, heads], name="q_reshape")],
               {"perm": [0, 2, 1, 3]}, name="q_transpose")          # (B, H, S, dh)
    k = g.node("Transpose", [g.node("Reshape", [k, heads], name="k_reshape")],
               {"perm": [0, 2, 3, 1]}, name="k_transpose")          # (B, H, dh, S)
    v = g.node("Transpose", [g.node("Reshape", [v, heads], name="v_reshape")],
               {"perm": [0, 2, 1, 3]}, name="v_transpose")          # (B, H, S, dh)
    s = g.node("MatMul", [q, k], name="scores")                    # (B, H, S, S)
    s = g.node("Mul", [s, g.init("attn_scale", f32(1.0 / math.sqrt(dh)))], name="scale")
    p = g.node("Softmax", [s], {"axis": -1}, name="softmax")
    a = g.node("MatMul", [p, v], name="context")                   # (B, H, S, dh)
    a = g.node("Transpose", [a], {"perm": [0, 2, 1, 3]}, name="context_transpose")
    a = g.node("Reshape", [a, g.init("model_shape", i64([B, S, D]))], name="context_reshape")
    a = emit_linear3d(g, a, m.self_attn.out_proj.weight, m.self_attn.out_proj.bias, "out_proj")
    h = g.node("Add", ["x", a], name="residual1")
    h = g.node("LayerNormalization", [h, g.init("norm1.weight", f32(m.norm1.weight)),
                                      g.init("norm1.bias", f32(m.norm1.bias))],
               {"axis": -1, "epsilon": m.norm1.eps}, name="norm1")
    f = emit_linear3d(g, h, m.linear1.weight, m.linear1.bias, "linear1")
    # GELU(f) = f * 0.5 * (1 + erf(f / sqrt(2))), as torch.onnx writes it
    e = g.node("Erf", [g.node("Div", [f, g.init("sqrt2", f32(math.sqrt(2.0)))], name="gelu_div")],
               name="gelu_erf")
    e = g.node("Add", [e, g.init("one", f32(1.0))], name="gelu_add")
    e = g.node("Mul", [g.node("Mul", [f, e], name="gelu_mul"), g.init("half", f32(0.5))],
               name="gelu_half")
    f = emit_linear3d(g, e, m.linear2.weight, m.linear2.bias, "linear2")
    h = g.node("Add", [h, f], name="residual2")
    g.node("LayerNormalization", [h, g.init("norm2.weight", f32(m.norm2.weight)),
                                  g.init("norm2.bias", f32(m.norm2.bias))],
           {"axis": -1, "epsilon": m.norm2.eps}, name="norm2", outputs=["y"])
    g.output("y")
    return g, [x], [y], ("nn.TransformerEncoderLayer(d_model 32, 4 heads, ff 64, gelu, post-norm, "
                         "batch_first) on (2, 16, 32): fused QKV MatMul + Split, heads via "
                         "Reshape/Transpose, scores * 1/sqrt(8), Softmax, GELU via Erf, two "
                         "LayerNormalization; weights in an external buffer without sha256")


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "fixtures"))
    args = ap.parse_args()
    out = os.path.normpath(args.out)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    index, total = [], 0
    for name, kind, tol, fn in CASES:
        with torch.no_grad():
            g, inputs, expected, note = fn()
        assert g.name == name, (g.name, name)
        d = os.path.join(out, name)
        os.makedirs(d)
        g.write(d)
        entry = {"name": name, "kind": kind, "model": name + "/model.json", "inputs": [],
                 "expected": [], "atol": tol["atol"], "rtol": tol["rtol"], "note": note}
        for key, arrs in (("input", inputs), ("expected", expected)):
            for i, a in enumerate(arrs):
                rel = "%s/%s_%d.npy" % (name, key, i)
                np.save(os.path.join(out, rel), f32(a))
                entry["inputs" if key == "input" else "expected"].append(rel)
        err = check_case(out, entry)
        index.append(entry)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        total += size
        print("%-34s %-3s %6d bytes %2d nodes  atol %g rtol %g  reference max|diff| %.1e"
              % (name, kind, size, len(g.nodes), tol["atol"], tol["rtol"], err))
    with open(os.path.join(out, "index.json"), "w") as f:
        f.write(dumps_model({"cases": index}))
    n_op = sum(1 for e in index if e["kind"] == "op")
    print("%d op cases, %d nets, %d bytes" % (n_op, len(index) - n_op, total))


def check_case(out, e):
    """Validates the written JSON and evaluates it against torch's expected output;
    returns the largest absolute difference."""
    model, inits, _ = validate(os.path.join(out, e["model"]))
    feeds = [np.load(os.path.join(out, p)) for p in e["inputs"]]
    want = [np.load(os.path.join(out, p)) for p in e["expected"]]
    assert len(feeds) == len(model["inputs"]) and len(want) == len(model["outputs"])
    for t, v in zip(model["inputs"], feeds):
        assert v.dtype == np.float32 and list(v.shape) == t["shape"], (e["name"], t["name"])
    got = evaluate(model, inits, feeds)
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, "%s: output %d shape %s, torch %s" % (e["name"], i, g.shape, w.shape)
        err = np.abs(g.astype(np.float64) - w) - (e["atol"] + e["rtol"] * np.abs(w))
        if not (err <= 0).all():
            j = np.unravel_index(np.argmax(err), err.shape)
            sys.exit("%s: output %d at %s: reference %r, torch %r" % (e["name"], i, j, g[j], w[j]))
        worst = max(worst, float(np.abs(g.astype(np.float64) - w).max()))
    return worst


if __name__ == "__main__":
    main()
