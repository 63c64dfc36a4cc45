#!/usr/bin/env python3
"""train.py -- train a small CNN on scikit-learn's 8x8 digits and export it for dlc.

The data set ships with scikit-learn (sklearn.datasets.load_digits: 1797 images
of 8x8 pixels, values 0..16), so nothing is downloaded. The first 1437 images
train, the last 360 test. The network:

    image (N, 1, 8, 8) in [0, 1]
    Conv 1->8 3x3 pad 1, BatchNormalization, Relu       -> (N, 8, 8, 8)
    Conv 8->16 3x3 pad 1, BatchNormalization, Relu      -> (N, 16, 8, 8)
    MaxPool 2x2 stride 2, Dropout 0.25, Flatten         -> (N, 256)
    Gemm 256->10 (nn.Linear, transB 1)                  -> logits (N, 10)

Outputs, next to this script:
    digits.json          the model in dlc-graph v1 format (weights inline/base64),
                         input "image" of shape ["N", 1, 8, 8], output "logits"
    test_images.npy      float32 (360, 1, 8, 8)
    test_labels.npy      int64 (360,)
    expected_logits.npy  float32 (360, 10): torch's logits on the test images

Training: Adam (lr 1e-2, cosine schedule), batches of 32, each batch shifted by
up to one pixel. Deterministic: fixed seeds and torch.set_num_threads(2); re-running on the same
machine gives byte-identical files. The JSON writer, validator and reference
evaluator are shared with scripts/gen_fixtures.py.

Usage: /usr/bin/python3 examples/digits/train.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import gen_fixtures as gf  # noqa: E402

N_TEST = 360
EPOCHS = 30
BATCH = 32


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.drop(F.max_pool2d(x, 2))
        return self.fc(torch.flatten(x, 1))


def load():
    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    return x[:-N_TEST], y[:-N_TEST], x[-N_TEST:], y[-N_TEST:]


def shift(xb, gen):
    """Moves a batch by -1..1 pixels in each direction, filling with 0 (background):
    the test images come from other writers, and this augmentation lifts test
    accuracy by about 1.5 points."""
    dy, dx = torch.randint(-1, 2, (2,), generator=gen).tolist()
    return torch.roll(F.pad(xb, (1, 1, 1, 1)), (dy, dx), (2, 3))[:, :, 1:9, 1:9]


def train(model, x, y):
    gen = torch.Generator().manual_seed(1234)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            loss = F.cross_entropy(model(shift(xt[idx], gen)), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if epoch % 5 == 4 or epoch == EPOCHS - 1:
            print("epoch %2d  train loss %.4f" % (epoch + 1, total / len(xt)))


def export(m):
    """Writes the graph node by node from the trained module's parameters."""
    g = gf.Graph("digits")
    g.input("image", ["N", 1, 8, 8])
    h = gf.emit_bn(g, gf.emit_conv(g, "image", m.conv1, "conv1"), m.bn1, "bn1")
    h = g.node("Relu", [h], name="relu1")
    h = gf.emit_bn(g, gf.emit_conv(g, h, m.conv2, "conv2"), m.bn2, "bn2")
    h = g.node("Relu", [h], name="relu2")
    h = g.node("MaxPool", [h], {"kernel_shape": [2, 2], "strides": [2, 2]}, name="pool")
    h = g.node("Dropout", [h], name="dropout")
    h = g.node("Flatten", [h], {"axis": 1}, name="flatten")
    g.node("Gemm", [h, g.init("fc.weight", gf.f32(m.fc.weight)), g.init("fc.bias", gf.f32(m.fc.bias))],
           {"alpha": 1.0, "beta": 1.0, "transB": 1}, name="fc", outputs=["logits"])
    g.output("logits")
    return g.write(HERE, "digits.json")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    xtr, ytr, xte, yte = load()
    model = DigitsNet()
    train(model, xtr, ytr)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(xte)).numpy()
    acc = float((logits.argmax(1) == yte).mean())
    print("test accuracy %.2f%% (%d/%d)" % (100 * acc, (logits.argmax(1) == yte).sum(), len(yte)))
    export(model)
    np.save(os.path.join(HERE, "test_images.npy"), np.ascontiguousarray(xte, dtype=np.float32))
    np.save(os.path.join(HERE, "test_labels.npy"), np.ascontiguousarray(yte, dtype=np.int64))
    np.save(os.path.join(HERE, "expected_logits.npy"), np.ascontiguousarray(logits, dtype=np.float32))
    # Check the written JSON against torch with the reference evaluator.
    model_json, inits, _ = gf.validate(os.path.join(HERE, "digits.json"))
    got = gf.evaluate(model_json, inits, [xte])[0]
    err = float(np.abs(got - logits).max())
    print("digits.json reference evaluation: max |diff| vs torch %.1e" % err)
    if err > 1e-3:
        sys.exit("exported graph does not match the torch module")
    if acc < 0.95:
        sys.exit("accuracy below 95%")


if __name__ == "__main__":
    main()
