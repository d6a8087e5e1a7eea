"""PyTorch reference for `deno task bench` (scripts/bench/main.ts).

Trains and runs one of the lesson models on the exact batches the Deno bench
used, and prints one JSON object on stdout: training and inference images per
second, the peak RSS of this process, the oneDNN version PyTorch was built with (its
convolutions run on that oneDNN, as our native layer's do), the CPU capability its own
kernels dispatch to, the BLAS its linear layers ran on, and its whole build summary.

    python3 bench/pytorch_reference.py --model teacher --data /tmp/x.bin \
        --threads 0 --batch 100 --warmup 2 --batches 15 --infer-batch 1000

The data file is what scripts/bench/main.ts writes: a little-endian header of five
int32 (count, height, width, channels, classes), then per channel a float32
(mean, std) pair applied after scaling by 1/255, then count·h·w·c uint8 pixels
(NHWC) and count uint8 labels. `--threads 0` keeps PyTorch's default thread count.
"""

import argparse
import json
import re
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def teacher() -> nn.Module:
    """Notebook 01's MNIST teacher (lib/models/mnist_cnn.ts)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 300), nn.Linear(300, 10),
    )


def deep_nn() -> nn.Module:
    """Notebook 04's DeepNN (lib/models/cifar_cnn.ts)."""
    return nn.Sequential(
        nn.Conv2d(3, 128, 3, padding=1), nn.ReLU(),
        nn.Conv2d(128, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2048, 512), nn.ReLU(), nn.Dropout(0.1), nn.Linear(512, 10),
    )


def light_nn() -> nn.Module:
    """Notebook 04's LightNN (lib/models/cifar_cnn.ts)."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 10),
    )


MODELS = {"teacher": teacher, "deep": deep_nn, "light": light_nn}


def load(path: str) -> tuple[torch.Tensor, torch.Tensor]:
    with open(path, "rb") as f:
        raw = f.read()
    count, h, w, c, _classes = struct.unpack_from("<5i", raw, 0)
    off = 20
    stats = struct.unpack_from(f"<{2 * c}f", raw, off)
    off += 8 * c
    pixels = np.frombuffer(raw, dtype=np.uint8, count=count * h * w * c, offset=off)
    labels = np.frombuffer(raw, dtype=np.uint8, count=count, offset=off + count * h * w * c)
    mean = np.array(stats[0::2], dtype=np.float32)
    std = np.array(stats[1::2], dtype=np.float32)
    x = (pixels.reshape(count, h, w, c).astype(np.float32) / 255.0 - mean) / std
    # NHWC on disk (as the Deno side keeps it), NCHW for PyTorch.
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    return x, torch.from_numpy(labels.astype(np.int64))


def build_info() -> tuple[str | None, str | None]:
    """oneDNN's version and the SIMD level PyTorch's own kernels dispatch to."""
    config = torch.__config__.show()
    # PyTorch 1.x calls oneDNN "MKL-DNN" there, and 2.x still does in its version line.
    onednn = re.search(r"(?:MKL-DNN|oneDNN) v(\S+)", config)
    cpu = getattr(torch.backends, "cpu", None)
    if cpu is not None and hasattr(cpu, "get_cpu_capability"):
        # 2.x: what this process dispatches to (ATEN_CPU_CAPABILITY can lower it).
        capability = cpu.get_cpu_capability()
    else:
        found = re.search(r"CPU capability usage: (\S+)", config)
        capability = found.group(1) if found else None
    return (onednn.group(1) if onednn else None, capability)


def blas_library() -> str | None:
    """The BLAS behind PyTorch's linear layers.

    pip's build links MKL statically, and its build summary names the version. Debian's
    links the generic libblas.so.3, which the system's alternatives point at OpenBLAS where
    libopenblas0 is installed and at the reference (netlib) BLAS otherwise, several times
    slower: then the file this process mapped says which one it measured. numpy's wheel
    maps its own OpenBLAS copy, which PyTorch does not call.
    """
    mkl = re.search(r"Math Kernel Library Version (\S+)", torch.__config__.show())
    if mkl:
        return f"MKL {mkl.group(1)}"
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "numpy" not in path and re.search(r"lib(open)?blas[^/]*\.so", path):
                return path
    return None


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=sorted(MODELS), required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--infer-batch", type=int, default=1000)
    p.add_argument("--infer-reps", type=int, default=3)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y = load(a.data)
    model = MODELS[a.model]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    model.train()
    steps = []
    for i in range(a.warmup + a.batches):
        start = time.perf_counter()
        lo = (i * a.batch) % (len(x) - a.batch + 1)
        xb, yb = x[lo:lo + a.batch], y[lo:lo + a.batch]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        loss.item()  # waits for the step, as the Deno side reads its loss
        if i >= a.warmup:
            steps.append(time.perf_counter() - start)

    model.eval()
    xi = x[: a.infer_batch]
    with torch.no_grad():
        model(xi)  # warm-up
        t0 = time.perf_counter()
        for _ in range(a.infer_reps):
            model(xi).numpy()
        infer_s = time.perf_counter() - t0

    # ru_maxrss is in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    onednn, capability = build_info()
    json.dump({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        # The median step, as the Deno side reports it; the mean for comparison.
        "trainImagesPerSecond": a.batch / statistics.median(steps),
        "trainImagesPerSecondMean": len(steps) * a.batch / sum(steps),
        "inferImagesPerSecond": a.infer_reps * len(xi) / infer_s,
        "peakRssBytes": peak,
        "finalLoss": float(loss.item()),
        "onednn": onednn,
        "cpuCapability": capability,
        "blas": blas_library(),
        "python": sys.executable,
        # Where torch was imported from: a venv's site-packages (pip) or dist-packages (Debian).
        "torchPath": torch.__file__,
        "config": torch.__config__.show(),
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
