#!/usr/bin/python3
"""torch_worker.py — runs one model of bench/models/export.py in PyTorch for
the peer benchmark (bench/peers/run.py), driven line by line on stdin like
dlc_worker.c.

  /usr/bin/python3 torch_worker.py NAME MODE THREADS
    NAME    a model of bench/models/export.py (rebuilt here with the same
            seed, so weights and input are the ones of the ONNX export)
    MODE    eager: the nn.Module under torch.no_grad() in eval mode;
            jit: torch.jit.trace + torch.jit.freeze (+ optimize_for_inference)
  stdin:  "run K"    -> stdout: K run times in ms, one line
          "out PATH" -> writes the output as raw float32, prints "ok"
"""
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import export  # noqa: E402  (bench/models/export.py)


def main():
    name, mode, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    import warnings
    warnings.filterwarnings("ignore")
    m, x, _, _ = export.build(name)
    m.eval()
    with torch.no_grad():
        if mode == "jit":
            m = torch.jit.trace(m, x)
            m = torch.jit.freeze(m)
            m = torch.jit.optimize_for_inference(m)
        elif mode != "eager":
            sys.exit(f"torch_worker: unknown mode {mode}")
        y = m(x)
        print("ready", flush=True)
        for line in sys.stdin:
            parts = line.split()
            if parts and parts[0] == "run":
                times = []
                for _ in range(int(parts[1])):
                    t0 = time.perf_counter()
                    y = m(x)
                    t1 = time.perf_counter()
                    times.append(f"{(t1 - t0) * 1e3:.6f}")
                print(" ".join(times), flush=True)
            elif parts and parts[0] == "out":
                y.float().contiguous().numpy().tofile(parts[1])
                print("ok", flush=True)
            else:
                break


if __name__ == "__main__":
    main()
