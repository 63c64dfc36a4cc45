#!/usr/bin/python3
"""gen_onnx_tests.py — writes the ONNX frontend's test models into tests/onnx/.

Two kinds of cases:
  * small networks exported by torch.onnx.export at opsets 11, 13 and 17
    (conv-bn-relu, a residual block, an attention block whose masks bring
    Where/Expand/Equal/Cast/Range/ConstantOfShape and Shape chains), each with
    an input and PyTorch's output as .npy;
  * models built by hand with the onnx package for what exporters rarely
    produce: legacy attribute forms, typed-field and raw initializers,
    external data, inputs that are initializers, Constant nodes, symbolic
    dims, unknown operators, bad opsets, hostile bytes. Their expected
    outputs come from numpy.

Run with /usr/bin/python3 (torch 1.13, onnx 1.12, numpy). Deterministic: fixed
seeds. Everything written stays small (the directory is kept under 2 MB).
Usage: scripts/gen_onnx_tests.py [OUTDIR]   (default: tests/onnx beside scripts/)
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "onnx")


def path(name):
    return os.path.join(OUT, name)


def save_npy(name, a):
    np.save(path(name), np.ascontiguousarray(a))


# --------------------------------------------------------------- torch nets

class ConvBnRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 4, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = torch.clamp(self.bn2(self.conv2(y)), 0.0, 6.0)
        return torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1)


class ResBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.c1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn0(self.stem(x))), 2)
        y = torch.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        y = torch.relu(x + y)
        y = torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1)
        return torch.softmax(self.fc(y), dim=1)


class Attention(nn.Module):
    """Single-head attention with a causal mask and a padding mask computed
    from the input: masked_fill -> Where, expand -> Expand, comparisons ->
    Equal/Greater/Or, arange -> Range, shape arithmetic -> Shape chains."""

    def __init__(self, d=16):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.q(x), self.k(x), self.v(x)
        scores = q @ k.transpose(1, 2) / float(d) ** 0.5
        r = torch.arange(n)
        causal = r.unsqueeze(0) > r.unsqueeze(1)
        pad = x.abs().sum(-1) == 0
        mask = causal.unsqueeze(0).expand(b, n, n) | pad.unsqueeze(1).expand(b, n, n)
        scores = scores.masked_fill(mask, float("-inf"))
        att = torch.softmax(scores, -1)
        att = torch.where(torch.isnan(att), torch.zeros_like(att), att)
        pos = r.float().unsqueeze(-1).neg() * 0.01
        return self.norm(att @ v + pos + x)


def randomise_bn(m):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)


def export(model, x, name, opset, dynamic=None, **kw):
    model.eval()
    with torch.no_grad():
        y = model(x)
        torch.onnx.export(model, x, path(name + ".onnx"), opset_version=opset,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes=dynamic, **kw)
    save_npy(name + "_in.npy", x.numpy())
    save_npy(name + "_out.npy", y.numpy())


def torch_cases():
    torch.manual_seed(1)
    net = ConvBnRelu()
    randomise_bn(net)
    x = torch.randn(1, 3, 12, 12)
    for opset in (11, 13, 17):
        export(net, x, "convbn_op%d" % opset, opset)
    # symbolic batch: declared "N", run with batch 2
    export(net, torch.randn(2, 3, 12, 12), "convbn_dynbatch", 13,
           dynamic={"x": {0: "N"}, "y": {0: "N"}})
    # every weight also listed as a graph input (older exporters do this)
    export(net, x, "convbn_inits_as_inputs", 13,
           keep_initializers_as_inputs=True)

    torch.manual_seed(2)
    res = ResBlock()
    randomise_bn(res)
    x = torch.randn(1, 3, 16, 16)
    for opset in (11, 13, 17):
        export(res, x, "resblock_op%d" % opset, opset)

    torch.manual_seed(3)
    att = Attention()
    x = torch.randn(2, 6, 16)
    x[1, 4:] = 0  # padding rows: the padding mask is not all false
    for opset in (11, 13, 17):
        export(att, x, "attention_op%d" % opset, opset)
    # batch and length symbolic: the mask logic stays in the graph as
    # Shape -> ... -> Equal -> Where -> Expand chains
    export(att, x, "attention_dynamic", 13,
           dynamic={"x": {0: "N", 1: "L"}, "y": {0: "N", 1: "L"}})


# ----------------------------------------------------------- hand-built ones

def model(nodes, inputs, outputs, inits=(), opset=13, name="g", extra_opsets=()):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(g, opset_imports=ops, producer_name="gen_onnx_tests")
    m.ir_version = 7
    return m


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def save_case(m, name, x=None, y=None):
    onnx.save(m, path(name + ".onnx"))
    if x is not None:
        save_npy(name + "_in.npy", x)
        save_npy(name + "_out.npy", y)


def typed_vs_raw(rng):
    """Gemm + Reshape with the same weights once in the typed fields
    (float_data, int64_data) and once as raw_data; plus a double initializer
    (loaded as float32) and an int32 one cast to float."""
    w = rng.standard_normal((4, 6)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    x = rng.standard_normal((2, 6)).astype(np.float32)
    scale = np.array([0.5], dtype=np.float64)
    off = np.array([3], dtype=np.int32)
    y = ((x @ w.T + b) * 0.5 + 3.0).reshape(2, 2, 2)
    for raw in (False, True):
        def t(n, a, dt):
            return helper.make_tensor(n, dt, a.shape, a.tobytes() if raw else a.flatten().tolist(), raw=raw)
        inits = [t("w", w, TensorProto.FLOAT), t("b", b, TensorProto.FLOAT),
                 t("shape", np.array([2, 2, 2], dtype=np.int64), TensorProto.INT64),
                 t("scale", scale, TensorProto.DOUBLE), t("off", off, TensorProto.INT32)]
        nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="fc", transB=1),
                 helper.make_node("Mul", ["g", "scale"], ["s"], name="mul"),
                 helper.make_node("Cast", ["off"], ["offf"], name="cast", to=TensorProto.FLOAT),
                 helper.make_node("Add", ["s", "offf"], ["a"], name="add"),
                 helper.make_node("Reshape", ["a", "shape"], ["y"], name="reshape")]
        m = model(nodes, [vi("x", TensorProto.FLOAT, [2, 6])],
                  [vi("y", TensorProto.FLOAT, [2, 2, 2])], inits)
        save_case(m, "init_raw" if raw else "init_typed", x, y.astype(np.float32))


def external_data(rng):
    w = rng.standard_normal((8, 8)).astype(np.float32)
    x = rng.standard_normal((1, 8)).astype(np.float32)
    m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
              [vi("x", TensorProto.FLOAT, [1, 8])],
              [vi("y", TensorProto.FLOAT, [1, 8])], [numpy_helper.from_array(w, "w")])
    onnx.save_model(m, path("external.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="external.data",
                    size_threshold=0)
    save_npy("external_in.npy", x)
    save_npy("external_out.npy", x @ w)
    # hostile variants of the same reference
    for name, loc, offset in (("external_dotdot", "../external.data", None),
                              ("external_absolute", "/etc/passwd", None),
                              ("external_range", "external.data", 200)):
        t = numpy_helper.from_array(w, "w")
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", loc), ("offset", str(offset) if offset else None),
                     ("length", "256")):
            if v is not None:
                e = t.external_data.add()
                e.key, e.value = k, v
        bad = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                    [vi("x", TensorProto.FLOAT, [1, 8])],
                    [vi("y", TensorProto.FLOAT, [1, 8])], [t])
        onnx.save(bad, path(name + ".onnx"))


def constants(rng):
    """Constant nodes in every value form, a bool constant through Cast and
    Where, and a float16 constant (loaded as float32)."""
    x = rng.standard_normal((2, 3)).astype(np.float32)
    half = np.array([1.5, -2.25, 0.125], dtype=np.float16)
    mask = np.array([[True, False, True]])
    nodes = [
        helper.make_node("Constant", [], ["c_t"], name="k_tensor",
                         value=numpy_helper.from_array(np.array([[1.0, 2.0, 3.0]], np.float32))),
        helper.make_node("Constant", [], ["c_f"], name="k_float", value_float=0.5),
        helper.make_node("Constant", [], ["c_fs"], name="k_floats", value_floats=[1.0, -1.0, 2.0]),
        helper.make_node("Constant", [], ["c_shape"], name="k_ints", value_ints=[3, 2]),
        helper.make_node("Constant", [], ["c_half"], name="k_half",
                         value=numpy_helper.from_array(half)),
        helper.make_node("Constant", [], ["c_mask"], name="k_bool",
                         value=numpy_helper.from_array(mask)),
        helper.make_node("Add", ["x", "c_t"], ["a"], name="add"),
        helper.make_node("Mul", ["a", "c_f"], ["b"], name="mul"),
        helper.make_node("Sub", ["b", "c_fs"], ["c"], name="sub"),
        helper.make_node("Add", ["c", "c_half"], ["d"], name="add_half"),
        helper.make_node("Where", ["c_mask", "d", "x"], ["e"], name="where"),
        helper.make_node("Reshape", ["e", "c_shape"], ["y"], name="reshape"),
    ]
    y = (x + [[1, 2, 3]]) * 0.5 - [1, -1, 2] + half.astype(np.float32)
    y = np.where(mask, y, x).reshape(3, 2).astype(np.float32)
    m = model(nodes, [vi("x", TensorProto.FLOAT, [2, 3])], [vi("y", TensorProto.FLOAT, [3, 2])])
    save_case(m, "constants", x, y)


def softmax_legacy(x, axis):
    s = x.reshape(int(np.prod(x.shape[:axis])), -1)
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)


def legacy_opset11(rng):
    """Opset 11 forms that dlc normalises: Split `split`, Unsqueeze and
    Squeeze `axes`, ReduceSum `axes` attributes; Dropout `ratio`; Softmax's
    flatten-at-axis semantics (axis 1 of a 3-D input, default axis)."""
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Split", ["x"], ["s0", "s1"], name="split", axis=1, split=[2, 3]),
        helper.make_node("Unsqueeze", ["s0"], ["u"], name="unsq", axes=[0]),
        helper.make_node("Squeeze", ["u"], ["q"], name="sq", axes=[0]),
        helper.make_node("ReduceSum", ["s1"], ["r"], name="rsum", axes=[1], keepdims=1),
        helper.make_node("Dropout", ["q"], ["dq"], name="drop", ratio=0.3),
        helper.make_node("Softmax", ["x"], ["sm"], name="softmax_axis1", axis=1),
        helper.make_node("Softmax", ["x"], ["sm_default"], name="softmax_default"),
        helper.make_node("LogSoftmax", ["x"], ["lsm"], name="logsoftmax_last", axis=2),
    ]
    outs = {
        "dq": x[:, :2], "r": x[:, 2:].sum(axis=1, keepdims=True),
        "sm": softmax_legacy(x, 1), "sm_default": softmax_legacy(x, 1),
        "lsm": np.log(softmax_legacy(x, 2)),
    }
    m = model(nodes, [vi("x", TensorProto.FLOAT, [2, 5, 3])],
              [vi(k, TensorProto.FLOAT, list(v.shape)) for k, v in outs.items()], opset=11)
    onnx.save(m, path("legacy_op11.onnx"))
    save_npy("legacy_op11_in.npy", x)
    for k, v in outs.items():
        save_npy("legacy_op11_%s.npy" % k, v.astype(np.float32))


def symbolic_dims():
    """dim_param on two inputs that share "N"; a dim with neither value nor
    param."""
    x = vi("x", TensorProto.FLOAT, ["N", 4])
    z = vi("z", TensorProto.FLOAT, ["N", None])
    m = model([helper.make_node("Add", ["x", "z"], ["y"], name="add")],
              [x, z], [vi("y", TensorProto.FLOAT, ["N", 4])])
    save_case(m, "symbolic")


def errors():
    x = [vi("x", TensorProto.FLOAT, [1, 4])]
    y = [vi("y", TensorProto.FLOAT, [1, 4])]
    nodes = [helper.make_node("Foo", ["x"], ["a"], name="n1"),
             helper.make_node("Relu", ["a"], ["b"], name="n2"),
             helper.make_node("Foo", ["b"], ["c"], name="n3"),
             helper.make_node("Bar", ["c"], ["d"], name="n7"),
             helper.make_node("FusedThing", ["d"], ["y"], name="n9", domain="com.example")]
    save_case(model(nodes, x, y, extra_opsets=[("com.example", 1)]), "unknown_ops")
    relu = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    save_case(model(relu, x, y, opset=10), "opset10")
    save_case(model(relu, x, y, opset=22), "opset22")
    good = model(relu, x, y).SerializeToString()
    with open(path("truncated.onnx"), "wb") as f:
        f.write(good[: len(good) * 2 // 3])
    with open(path("garbage.onnx"), "wb") as f:
        f.write(np.random.default_rng(7).integers(0, 256, 300, dtype=np.uint8).tobytes())
    dbl = model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                [vi("x", TensorProto.DOUBLE, [1, 4])], [vi("y", TensorProto.DOUBLE, [1, 4])])
    save_case(dbl, "double_input")
    cast = model([helper.make_node("Cast", ["x"], ["y"], name="to_double", to=TensorProto.DOUBLE)],
                 x, [vi("y", TensorProto.DOUBLE, [1, 4])])
    save_case(cast, "cast_double")


# ------------------------------------------------ opsets 18 to 21, by hand
# Debian's onnx 1.12 knows opsets up to 17: these models are written at the
# protobuf level (helper.make_* with a newer opset number, no checker) in the
# forms opsets 18-21 define, and their outputs computed with numpy.

def reduce_op18(rng):
    """ReduceMean/Max/Min with axes as an input (opset 18): an initializer,
    a Constant node, and none (all axes)."""
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    axes = numpy_helper.from_array(np.array([1], np.int64), "axes1")
    nodes = [
        helper.make_node("ReduceMean", ["x", "axes1"], ["a"], name="mean", keepdims=1),
        helper.make_node("Constant", [], ["axes_last"], name="k_axes",
                         value=numpy_helper.from_array(np.array([-1], np.int64))),
        helper.make_node("ReduceMax", ["a", "axes_last"], ["b"], name="max", keepdims=0),
        helper.make_node("ReduceMin", ["x"], ["c"], name="min", keepdims=0),
        helper.make_node("Add", ["b", "c"], ["y"], name="add"),
    ]
    m = model(nodes, [vi("x", TensorProto.FLOAT, [2, 3, 4])],
              [vi("y", TensorProto.FLOAT, [2, 1])], [axes], opset=18)
    y = x.mean(1, keepdims=True).max(-1) + x.min()
    save_case(m, "reduce_op18", x, y.astype(np.float32))


def split_op18(rng):
    """Split with num_outputs (opset 18), 7 into 3, 3 and 1."""
    x = rng.standard_normal((2, 7)).astype(np.float32)
    nodes = [helper.make_node("Split", ["x"], ["s0", "s1", "s2"], name="split",
                              axis=1, num_outputs=3),
             helper.make_node("Concat", ["s2", "s0", "s1"], ["y"], name="cat", axis=1)]
    m = model(nodes, [vi("x", TensorProto.FLOAT, [2, 7])],
              [vi("y", TensorProto.FLOAT, [2, 7])], opset=18)
    y = np.concatenate([x[:, 6:7], x[:, 0:3], x[:, 3:6]], 1)
    save_case(m, "split_op18", x, y)


def ref_attr(name, kind):
    return onnx.AttributeProto(name=name, ref_attr_name=name, type=kind)


def functions_op18(rng):
    """Local functions (torch.onnx's export_modules_as_functions form):
    ScaledRelu(X; alpha) = LeakyRelu(X, alpha) + X, and Twice(X; alpha)
    calling it twice, so inlining must rename each call's values and pass
    the attribute through two levels."""
    x = rng.standard_normal((1, 6)).astype(np.float32)
    fl = onnx.AttributeProto.FLOAT
    lrelu = helper.make_node("LeakyRelu", ["X"], ["T"], name="lrelu")
    lrelu.attribute.append(ref_attr("alpha", fl))
    scaled = helper.make_function(
        "example.fn", "ScaledRelu", ["X"], ["Y"],
        [lrelu, helper.make_node("Add", ["T", "X"], ["Y"], name="add")],
        [helper.make_opsetid("", 18)], ["alpha"])
    c1 = helper.make_node("ScaledRelu", ["X"], ["T"], name="first", domain="example.fn")
    c1.attribute.append(ref_attr("alpha", fl))
    c2 = helper.make_node("ScaledRelu", ["T"], ["Y"], name="second", domain="example.fn")
    c2.attribute.append(ref_attr("alpha", fl))
    twice = helper.make_function("example.fn", "Twice", ["X"], ["Y"], [c1, c2],
                                 [helper.make_opsetid("", 18)], ["alpha"])
    nodes = [helper.make_node("ScaledRelu", ["x"], ["h"], name="call1",
                              domain="example.fn", alpha=0.1),
             helper.make_node("Twice", ["h"], ["y"], name="call2",
                              domain="example.fn", alpha=0.5)]
    m = model(nodes, [vi("x", TensorProto.FLOAT, [1, 6])],
              [vi("y", TensorProto.FLOAT, [1, 6])], opset=18,
              extra_opsets=[("example.fn", 1)])
    m.functions.extend([scaled, twice])
    m.ir_version = 8  # functions need IR 8

    def sr(v, a):
        return np.where(v > 0, v, a * v) + v
    y = sr(sr(sr(x, 0.1), 0.5), 0.5)
    save_case(m, "functions_op18", x, y.astype(np.float32))


def small_ops_op19_20(rng):
    """CastLike (opset 15+, as exporters write it for scalars), Cast's
    saturate (opset 19), Resize with opset 18's antialias and
    keep_aspect_ratio_policy at their defaults, Gelu (opset 20)."""
    import math
    x = rng.standard_normal((1, 1, 2, 2)).astype(np.float32)
    inits = [numpy_helper.from_array(np.array([3], np.int64), "three"),
             numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")]
    nodes = [
        helper.make_node("CastLike", ["three", "x"], ["k"], name="castlike"),
        helper.make_node("Mul", ["x", "k"], ["m"], name="mul"),
        helper.make_node("Cast", ["m"], ["mc"], name="cast", to=TensorProto.FLOAT, saturate=1),
        helper.make_node("Resize", ["mc", "", "scales"], ["r"], name="resize", mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor",
                         antialias=0, keep_aspect_ratio_policy="stretch"),
        helper.make_node("Gelu", ["r"], ["y"], name="gelu", approximate="none"),
    ]
    m = model(nodes, [vi("x", TensorProto.FLOAT, [1, 1, 2, 2])],
              [vi("y", TensorProto.FLOAT, [1, 1, 4, 4])], inits, opset=20)
    r = np.repeat(np.repeat(x * 3, 2, 2), 2, 3)
    erf = np.vectorize(math.erf)
    y = 0.5 * r * (1 + erf(r / math.sqrt(2)))
    save_case(m, "small_ops_op20", x, y.astype(np.float32))
    # refused cleanly: Pad with an axes input (opset 18), Gelu tanh
    pads = [numpy_helper.from_array(np.array([1, 1], np.int64), "pads"),
            numpy_helper.from_array(np.array([3], np.int64), "axes")]
    pad = model([helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], name="pad")],
                [vi("x", TensorProto.FLOAT, [1, 1, 2, 2])],
                [vi("y", TensorProto.FLOAT, [1, 1, 2, 4])], pads, opset=18)
    save_case(pad, "pad_axes_op18")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch_cases()
    rng = np.random.default_rng(5)
    typed_vs_raw(rng)
    external_data(rng)
    constants(rng)
    legacy_opset11(rng)
    symbolic_dims()
    errors()
    reduce_op18(rng)
    split_op18(rng)
    functions_op18(rng)
    small_ops_op19_20(rng)
    total = sum(os.path.getsize(path(f)) for f in os.listdir(OUT))
    print("wrote %d files, %d bytes, into %s" % (len(os.listdir(OUT)), total, OUT))
    assert total < 2 * 1024 * 1024, "tests/onnx must stay under 2 MB"


if __name__ == "__main__":
    main()
