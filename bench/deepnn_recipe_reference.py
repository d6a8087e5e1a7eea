"""What the PyTorch tutorial's own recipe gives for DeepNN on a given CIFAR-10 archive.

Notebook 04's shipped teacher (data/teachers/deepnn) is trained by `deno task train-teachers`
with the recipe of PyTorch's knowledge-distillation tutorial: DeepNN, 10 epochs over the 50,000
training images, Adam at 1e-3, batch 128, shuffled, pixels scaled by 1/255 and normalised with
the ImageNet mean and std, cross-entropy. The tutorial reports 75.10 % on the official archive.
This script runs that recipe in PyTorch itself, on whatever archive it is given (the project's
mirror copy, decoded from a JPEG re-encoding, by default), so the accuracy our engine reaches can
be read against what the recipe gives on the same pixels rather than against another dataset.

    python3 bench/deepnn_recipe_reference.py --seed 1 --threads 1 --out runs/deepnn_torch_1.json

Prints one JSON line per epoch (loss, train and test accuracy, training seconds) and writes them, with the
torch version, thread count and archive, to --out.
"""

import argparse
import json
import os
import tarfile
import time

import numpy as np
import torch
from torch import nn

from pytorch_reference import deep_nn

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
RECORD = 1 + 3 * 32 * 32


def read_archive(path: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Training and test images (N, 3, 32, 32 float32, normalised) and labels from the tar.gz."""
    parts: dict[str, list[bytes]] = {"train": [], "test": []}
    with tarfile.open(path, "r:gz") as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            name = os.path.basename(member.name)
            if name.startswith("data_batch_"):
                parts["train"].append(tar.extractfile(member).read())
            elif name == "test_batch.bin":
                parts["test"].append(tar.extractfile(member).read())
    if len(parts["train"]) != 5 or len(parts["test"]) != 1:
        raise SystemExit(f"{path}: expected data_batch_1..5.bin and test_batch.bin in cifar-10-batches-bin/")
    out = {}
    for split, chunks in parts.items():
        raw = np.frombuffer(b"".join(chunks), dtype=np.uint8).reshape(-1, RECORD)
        labels = raw[:, 0].astype(np.int64)
        pixels = raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
        pixels = (pixels - MEAN[None, :, None, None]) / STD[None, :, None, None]
        out[split] = (pixels, labels)
    return out


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    model.train()
    return correct / len(x)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    default_archive = os.path.join(here, "..", "..", "shared", "data", "cifar-10-binary.tar.gz")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", default=default_archive)
    parser.add_argument("--seed", type=int, default=42, help="torch.manual_seed, as the tutorial")
    parser.add_argument("--threads", type=int, default=0, help="0 keeps PyTorch's default")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train-size", type=int, default=50_000, help="a prefix, for a smoke run")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    data = read_archive(args.archive)
    x_train, y_train = (torch.from_numpy(a[:args.train_size]) for a in data["train"])
    x_test, y_test = (torch.from_numpy(a) for a in data["test"])

    torch.manual_seed(args.seed)
    model = deep_nn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(args.seed)
    history = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        total, correct, seen = 0.0, 0, 0
        for idx in torch.randperm(len(x_train), generator=order).split(128):
            xb, yb = x_train[idx], y_train[idx]
            optimizer.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(idx)
        seconds = time.perf_counter() - start
        row = {
            "epoch": epoch,
            "loss": total / seen,
            "trainAccuracy": correct / seen,
            "testAccuracy": accuracy(model, x_test, y_test),
            "trainSeconds": seconds,
        }
        history.append(row)
        print(json.dumps(row), flush=True)
    result = {
        "recipe": "PyTorch KD tutorial, DeepNN: 10 epochs, Adam 1e-3, batch 128, ImageNet normalisation",
        # Relative to the repository, so the file names no one machine's layout.
        "archive": os.path.relpath(os.path.abspath(args.archive), os.path.join(here, "..")),
        "seed": args.seed,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "trainSize": len(x_train),
        "history": history,
        "testAccuracy": history[-1]["testAccuracy"],
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
