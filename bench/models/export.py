#!/usr/bin/python3
"""export.py — exports dlc's model zoo (issue 5) from PyTorch to ONNX.

For each model: built in eval mode with random weights (no download), its
BatchNorm statistics and affine parameters randomised so that BN is not the
identity, exported by torch.onnx.export at opsets 13 and 17 with static shapes
(batch 1) and torch's default constant folding, with a random input and
PyTorch's output saved as .npy. Everything is seeded per model, so a re-run
writes the same bytes, and exporting a subset gives the same files.

Usage:
  /usr/bin/python3 bench/models/export.py OUTDIR [--models a,b,...]
                                                 [--opsets 13,17] [--list]

Writes into OUTDIR:
  NAME_op13.onnx, NAME_op17.onnx   the exported graphs
  NAME_in.npy, NAME_out.npy        input (float32) and PyTorch's output
  manifest.json                    per model: shapes, files, operator counts,
                                   params and MACs (conventions below)

Counting conventions (what `dlc stats` reports at -O0, computed here
independently of dlc; see bench/models/README.md):
  params      elements of the weights as the ONNX graph carries them: every
              nn.Parameter, except that a BatchNorm which torch's exporter
              folds into the Conv before it (eval mode) becomes that Conv's
              bias (C elements instead of the BN's 2C and the Conv's own
              bias), while a BatchNorm kept as a node counts 4C (scale,
              bias, running mean and variance).
  constants   elements of the other constant tensors the exporter writes as
              initializers (Reshape shapes, Slice bounds, Resize scales, ...),
              counted from the ONNX file with the onnx package. dlc's
              total_params (elements of initializer inputs, shared ones once)
              must equal params + constants.
  macs        multiply-accumulates, from forward hooks: Conv2d = output
              elements x Cin/groups x kH x kW; ConvTranspose2d = input
              elements x Cout/groups x kH x kW; Linear = output elements x
              in_features; MultiheadAttention = L*E*3E (in-projection) +
              2*L*L*E (QK^T and AV, all heads) + L*E*E (out-projection) per
              batch item. Biases, BN, pooling, activations, softmax and
              resizes count 0, as in dlc. These must equal dlc's total_macs
              exactly.
"""
import argparse
import collections
import contextlib
import hashlib
import io
import json
import os
import sys
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision

tv = torchvision.models
OPSETS = (13, 17)


# ------------------------------------------------------------ small nets


def conv_bn_act(cin, cout, k=3, s=1, act="relu"):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=False),
              nn.BatchNorm2d(cout)]
    layers.append(nn.LeakyReLU(0.1) if act == "leaky" else nn.ReLU())
    return nn.Sequential(*layers)


class SPPNet(nn.Module):
    """YOLO-style: a strided conv backbone (128x128 -> 8x8), spatial pyramid
    pooling (max pools 5, 9, 13 at stride 1, concatenated with their input)
    and a detection head of 3 anchors x (5 + 20 classes)."""

    def __init__(self):
        super().__init__()
        chans = [3, 16, 32, 64, 128]
        self.backbone = nn.Sequential(*[
            nn.Sequential(conv_bn_act(chans[i], chans[i + 1], 3, 2, "leaky"),
                          conv_bn_act(chans[i + 1], chans[i + 1], 3, 1, "leaky"))
            for i in range(4)])
        self.reduce = conv_bn_act(128, 64, 1, 1, "leaky")
        self.pools = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in (5, 9, 13))
        self.fuse = conv_bn_act(256, 128, 1, 1, "leaky")
        self.head = nn.Sequential(conv_bn_act(128, 128, 3, 1, "leaky"),
                                  nn.Conv2d(128, 3 * 25, 1))

    def forward(self, x):
        x = self.reduce(self.backbone(x))
        x = torch.cat([x] + [p(x) for p in self.pools], 1)
        return self.head(self.fuse(x))


class UNet(nn.Module):
    """A small UNet: three 2x downsamplings, skip concatenations, upsampling
    by ConvTranspose (two levels) and by bilinear Resize (one level)."""

    def __init__(self, classes=2):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(conv_bn_act(cin, cout), conv_bn_act(cout, cout))

        self.enc = nn.ModuleList([block(3, 16), block(16, 32), block(32, 64)])
        self.mid = block(64, 128)
        self.up = nn.ModuleList([
            nn.ConvTranspose2d(128, 64, 2, 2),
            nn.ConvTranspose2d(64, 32, 2, 2),
            nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear",
                                      align_corners=False),
                          nn.Conv2d(32, 16, 1))])
        self.dec = nn.ModuleList([block(128, 64), block(64, 32), block(32, 16)])
        self.out = nn.Conv2d(16, classes, 1)

    def forward(self, x):
        skips = []
        for e in self.enc:
            x = e(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.mid(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], 1))
        return self.out(x)


class SegOut(nn.Module):
    """torchvision segmentation models return a dict; export its 'out'."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


def transformer():
    layer = nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512,
                                       batch_first=True)
    return nn.TransformerEncoder(layer, 2)


# name -> (builder, input shape, kind, export options)
# kind: "classifier" (same arg-max required), "segmentation" (per-pixel class
# scores on axis 1: the share of pixels with the same arg-max is reported),
# "dense" (any other output)
IMG = (1, 3, 224, 224)
MODELS = collections.OrderedDict([
    ("resnet18", (lambda: tv.resnet18(weights=None), IMG, "classifier", {})),
    ("resnet50", (lambda: tv.resnet50(weights=None), IMG, "classifier", {})),
    ("mobilenet_v2", (lambda: tv.mobilenet_v2(weights=None), IMG, "classifier", {})),
    ("mobilenet_v3_small", (lambda: tv.mobilenet_v3_small(weights=None), IMG,
                            "classifier", {})),
    ("shufflenet_v2_x1_0", (lambda: tv.shufflenet_v2_x1_0(weights=None), IMG,
                            "classifier", {})),
    ("squeezenet1_1", (lambda: tv.squeezenet1_1(weights=None), IMG, "classifier", {})),
    ("densenet121", (lambda: tv.densenet121(weights=None), IMG, "classifier", {})),
    ("googlenet", (lambda: tv.googlenet(weights=None, aux_logits=False,
                                        init_weights=True), IMG, "classifier", {})),
    ("efficientnet_b0", (lambda: tv.efficientnet_b0(weights=None), IMG,
                         "classifier", {})),
    ("vgg11", (lambda: tv.vgg11(weights=None), IMG, "classifier", {})),
    ("deeplabv3_mobilenet_v3_large", (
        lambda: SegOut(tv.segmentation.deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, aux_loss=False)),
        IMG, "segmentation", {})),
    ("transformer_encoder", (transformer, (1, 64, 128), "dense", {"grad": True})),
    ("yolo_spp", (SPPNet, (1, 3, 128, 128), "dense", {})),
    ("unet", (UNet, (1, 3, 128, 128), "segmentation", {})),
    # BatchNormalization kept as nodes: TrainingMode.PRESERVE on a model in
    # eval mode skips the exporter's eval-mode peephole (which folds BN into
    # Conv) yet exports inference-mode BN, so dlc's fold_batchnorm does it.
    ("resnet18_bn", (lambda: tv.resnet18(weights=None), IMG, "classifier",
                     {"keep_bn": True})),
])


# -------------------------------------------------------------- building


def seed_of(name):
    # resnet18_bn shares resnet18's weights and input on purpose.
    return zlib.crc32(name.replace("_bn", "").encode())


def build(name):
    make, shape, kind, opts = MODELS[name]
    torch.manual_seed(seed_of(name))
    m = make().eval()
    g = torch.Generator().manual_seed(seed_of(name) + 1)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                c = mod.num_features
                mod.running_mean.copy_(torch.rand(c, generator=g) * 0.2 - 0.1)
                mod.running_var.copy_(torch.rand(c, generator=g) + 0.5)
                if mod.affine:
                    mod.weight.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
                    mod.bias.copy_(torch.rand(c, generator=g) * 0.2 - 0.1)
        distinct_parameters(m, g)
    x = torch.randn(*shape, generator=g)
    return m, x, kind, opts


def distinct_parameters(m, g):
    """Default initialisations leave many tensors constant (zero biases, unit
    LayerNorm scales) and nn.TransformerEncoder deep-copies one layer, so
    several parameters can be equal. torch's exporter then stores one
    initializer plus Identity nodes, and the graph no longer has one weight
    per parameter. Constant tensors get a random spread around their value
    and later duplicates a small perturbation, so every weight is distinct
    (and the test does not pass by symmetry)."""
    seen = set()
    for p in m.parameters():
        if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
            p.add_(torch.rand(p.shape, generator=g) * 0.2 - 0.1)
        key = hashlib.sha256(p.detach().numpy().tobytes()).digest()
        if key in seen:
            p.mul_(1 + (torch.rand(p.shape, generator=g) * 0.1 - 0.05))
            key = hashlib.sha256(p.detach().numpy().tobytes()).digest()
        seen.add(key)


# -------------------------------------------------------------- counting


def count_macs_and_bn(m, x, grad):
    """Runs m once with hooks; returns (macs, y, list of (bn, fused_into_conv,
    conv_has_bias)). A BN counts as folded by torch's exporter when its input
    is exactly a Conv2d's output (the exporter's Conv+BN peephole)."""
    macs = 0
    conv_out = {}  # id(tensor) -> conv module
    bns = []

    def conv_hook(mod, inp, out):
        nonlocal macs
        k = mod.kernel_size[0] * mod.kernel_size[1]
        if isinstance(mod, nn.ConvTranspose2d):
            macs += inp[0].numel() * (mod.out_channels // mod.groups) * k
        else:
            macs += out.numel() * (mod.in_channels // mod.groups) * k
            conv_out[id(out)] = (mod, out)

    def linear_hook(mod, inp, out):
        nonlocal macs
        macs += out.numel() * mod.in_features

    def mha_hook(mod, inp, out):
        nonlocal macs
        q = out[0]  # shaped like the query, which may be a keyword argument
        n, l = (q.shape[0], q.shape[1]) if mod.batch_first else (q.shape[1], q.shape[0])
        e = mod.embed_dim
        macs += n * (l * e * 3 * e + 2 * l * l * e + l * e * e)

    def bn_hook(mod, inp, out):
        src = conv_out.get(id(inp[0]))
        fused = src is not None and src[1] is inp[0]
        bias = fused and src[0].bias is not None
        bns.append((mod, fused, bias))

    hooks = []
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            hooks.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(linear_hook))
        elif isinstance(mod, nn.MultiheadAttention):
            hooks.append(mod.register_forward_hook(mha_hook))
        elif isinstance(mod, nn.modules.batchnorm._BatchNorm):
            hooks.append(mod.register_forward_hook(bn_hook))
    ctx = contextlib.nullcontext() if grad else torch.no_grad()
    with ctx:
        y = m(x)
    for h in hooks:
        h.remove()
    return macs, y.detach(), bns


def deployed_params(m, bns, keep_bn):
    """Weight elements as the exported graph holds them (module docstring)."""
    n = sum(p.numel() for p in m.parameters())
    for bn, fused, conv_bias in bns:
        c = bn.num_features
        if keep_bn or not fused:
            n += 2 * c  # running mean and variance become node inputs too
        else:
            n += c - 2 * c - (c if conv_bias else 0)  # one folded bias
    return n


def onnx_counts(path):
    mp = onnx.load(path)
    ops = collections.Counter(n.op_type for n in mp.graph.node)
    used = set()
    for n in mp.graph.node:
        used.update(n.input)
    init = [t for t in mp.graph.initializer if t.name in used]
    elements = sum(int(np.prod(t.dims)) for t in init)
    return dict(sorted(ops.items())), elements


# -------------------------------------------------------------- export


def export(m, x, path, opset, opts):
    kw = dict(opset_version=opset, input_names=["x"], output_names=["y"])
    if opts.get("keep_bn"):
        kw["training"] = torch.onnx.TrainingMode.PRESERVE
    buf = io.BytesIO()
    if opts.get("grad"):
        torch.onnx.export(m, x, buf, **kw)
    else:
        with torch.no_grad():
            torch.onnx.export(m, x, buf, **kw)
    data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def export_model(name, out, opsets):
    m, x, kind, opts = build(name)
    macs, y, bns = count_macs_and_bn(m, x, opts.get("grad", False))
    params = deployed_params(m, bns, opts.get("keep_bn", False))
    np.save(os.path.join(out, f"{name}_in.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, f"{name}_out.npy"), y.numpy().astype(np.float32))
    entry = {
        "kind": kind,
        "input_shape": list(x.shape),
        "output_shape": list(y.shape),
        "input": f"{name}_in.npy",
        "output": f"{name}_out.npy",
        "torch_params": sum(p.numel() for p in m.parameters()),
        "params": params,
        "macs": macs,
        "batchnorm_modules": len(bns),
        "onnx": {},
    }
    for opset in opsets:
        fname = f"{name}_op{opset}.onnx"
        digest = export(m, x, os.path.join(out, fname), opset, opts)
        ops, elements = onnx_counts(os.path.join(out, fname))
        entry["onnx"][str(opset)] = {
            "file": fname, "sha256": digest, "ops": ops,
            "initializer_elements": elements,
            "constants": elements - params,
        }
        if opts.get("keep_bn") and "BatchNormalization" not in ops:
            sys.exit(f"export.py: {fname} has no BatchNormalization node")
    return entry


def script_digest():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--opsets", default=",".join(map(str, OPSETS)))
    ap.add_argument("--list", action="store_true", help="print the model names")
    a = ap.parse_args()
    if a.list:
        print("\n".join(MODELS))
        return
    if not a.outdir:
        ap.error("OUTDIR is required")
    names = [n for n in a.models.split(",") if n]
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model '{n}' (see --list)")
    opsets = [int(o) for o in a.opsets.split(",")]
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(1)  # bit-stable reference outputs
    import warnings
    warnings.filterwarnings("ignore")
    manifest = {
        "generator": "bench/models/export.py",
        "script_sha256": script_digest(),
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "onnx": onnx.__version__, "opsets": opsets,
        "all_models": list(MODELS),
        "models": {},
    }
    for n in names:
        manifest["models"][n] = export_model(n, a.outdir, opsets)
        e = manifest["models"][n]
        print(f"{n}: params {e['params']} (+{e['onnx'][str(opsets[0])]['constants']}"
              f" constants) MACs {e['macs']} ops {sorted(e['onnx'][str(opsets[-1])]['ops'])}",
              flush=True)
    with open(os.path.join(a.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
