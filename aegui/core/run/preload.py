"""Imported once by the training processes' forkserver (child.py): torch and the engine loaded and warmed,
so that every run's process, forked from it, starts with them ready.

The server must stay single-threaded (a fork copies only the forking thread) and must never touch CUDA
(a CUDA driver initialised before a fork fails in the child). warm() keeps both, and a test checks it.
"""

from __future__ import annotations

import os

# numpy's OpenBLAS starts a worker thread at import on this 2-core machine: the server would then fork
# a multi-threaded process (Python 3.12 warns on each). One BLAS thread costs only the PCA reference floor.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def warm() -> None:
    """Import the engine and pay the first run's one-off costs: Adam's constructor alone imports
    torch._dynamo (~0.9 s of the ~2.6 s measured for the first model, loss and optimizer)."""
    import torch

    from ..engine import reconstruct, training  # noqa: F401 - what a run's process uses
    from . import stream  # noqa: F401 - what a run's process uses
    from ..config.config import RunConfig
    from ..config.losses import per_copy
    from ..engine.models import build
    from ..engine.optim import make_optimizer
    config = RunConfig()
    model = build(config, [0])
    make_optimizer(config, model.parameters())  # never step() here: Adam's step asks CUDA (graph-capture check)
    x = torch.zeros(4, config.data.features)
    if not nvidia_driver_present():
        # Autograd's engine starts at the first backward and counts every device type's devices; on a
        # machine with an NVIDIA driver that count is a cuInit, and a forked child of a process that ran
        # cuInit fails its own ("CUDA error: initialization error", seen on an H200). There the child pays it.
        per_copy(config.loss.kind, model(x), x).sum().backward()  # autograd's engine, on this thread only


def nvidia_driver_present() -> bool:
    """True when an NVIDIA kernel driver is loaded (asked of the file system, never of CUDA)."""
    import glob
    return os.path.exists("/proc/driver/nvidia/version") or bool(glob.glob("/dev/nvidia[0-9]*"))


warm()
