"""CUDA training steps captured as one CUDA graph: forward, loss, backward and the optimizer's update.

Small models on a GPU are launch-bound: an eager step is dozens of kernel launches, each paying
Python, dispatch and launch latency. Measured on an H100 (issue 13), the MNIST-sized MLP ran 649-742
eager steps/s and 2,896 as a captured graph. The graph is captured once at the run's batch size and
replayed for every full batch; the inputs are copied into one static tensor, and each step's per-copy
losses are copied out on the device (never fetched per batch).

- The first WARMUP_STEPS steps run eagerly on a side stream, as PyTorch's whole-network capture recipe
  asks (the optimizer's state and the autograd engine settle); they are real steps, on real batches.
- A batch of another size (an epoch's partial last batch) runs eagerly with the same optimizer, whose
  state lives on the device (capturable Adam), so it is the same arithmetic.
- AEGUI_CUDA_GRAPHS=0 turns capture off (the eager reference a test compares against).
"""

from __future__ import annotations

import os

import torch

from ..config import losses

GRAPH_ENV = "AEGUI_CUDA_GRAPHS"
WARMUP_STEPS = 3


def capturable(device: torch.device, optimizer_kind: str) -> bool:
    """True when a run on device with this optimizer trains with captured steps (CUDA, Adam, not turned off)."""
    off = os.environ.get(GRAPH_ENV, "") in ("0", "false", "no")
    return device.type == "cuda" and optimizer_kind == "adam" and not off


class GraphedStep:
    """The training step as a replayed CUDA graph for batches of batch_size; eager for any other size."""

    mode = "cuda graph"

    def __init__(self, model, opt: torch.optim.Optimizer, kind: str, batch_size: int):
        self.model, self.opt, self.kind, self.batch_size = model, opt, kind, batch_size
        self.calls = 0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_x: torch.Tensor | None = None
        self.static_loss: torch.Tensor | None = None
        self.side = torch.cuda.Stream()

    def __call__(self, xb: torch.Tensor) -> torch.Tensor:
        """Train on xb; the (K,) per-copy losses, on the device."""
        self.calls += 1
        if xb.shape[0] != self.batch_size:
            return self._eager(xb, set_to_none=self.graph is None)
        if self.graph is None and self.calls <= WARMUP_STEPS:
            return self._warmup(xb)
        if self.graph is None:
            self._capture(xb)
        assert self.graph is not None and self.static_x is not None and self.static_loss is not None  # captured
        self.static_x.copy_(xb)
        self.graph.replay()
        return self.static_loss.clone()  # the next replay overwrites static_loss

    def _eager(self, xb: torch.Tensor, set_to_none: bool) -> torch.Tensor:
        per_copy = losses.per_copy(self.kind, self.model(xb), xb)
        # After capture the graph owns the .grad buffers: zero them in place rather than replace them.
        self.opt.zero_grad(set_to_none=set_to_none)
        per_copy.sum().backward()  # sum of per-copy means: each copy gets its own mean's gradient
        self.opt.step()
        return per_copy.detach()

    def _warmup(self, xb: torch.Tensor) -> torch.Tensor:
        self.side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.side):
            out = self._eager(xb, set_to_none=True)
        torch.cuda.current_stream().wait_stream(self.side)
        return out

    def _capture(self, xb: torch.Tensor) -> None:
        self.static_x = xb.clone()
        torch.cuda.synchronize()
        # .grad set to None first: backward inside the capture then allocates them from the graph's pool.
        self.opt.zero_grad(set_to_none=True)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            loss = losses.per_copy(self.kind, self.model(self.static_x), self.static_x)
            loss.sum().backward()
            self.opt.step()
        self.static_loss = loss.detach()  # the same memory, without the captured autograd graph
