"""Runs a RunStream in a forked process, so that training has a GIL of its own.

Why a process: in one process the GUI thread's Python (pyqtgraph's paints, the slots that take each
chunk) holds the GIL that the training thread needs between torch ops, and on a 2-core machine the
window cost the run 15–30% of its headless throughput. A forked child trains at the headless rate
while the parent only draws. Fork, not spawn: the child starts in milliseconds with torch already
imported (spawn would pay `import torch` again, ~2.4 s, on every Run).

Linux only (macOS frameworks are not fork-safe, Windows has no fork), and CPU only (CUDA does not
survive a fork once the parent has asked for it; 'auto' forks where it picks the CPU, as it does for
small models even beside a GPU): elsewhere the stream runs in the worker's thread.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
import signal
import sys
import threading
import time
from typing import Iterator

from .stream import RunStream

FORK_LOCK = threading.Lock()  # held by code that runs torch outside a run (the app's warm-up) while it does
POLL_S = 0.1        # how often a waiting parent checks that its child is still alive
KILL_AFTER_S = 5.0  # after Stop, a child that sends nothing this long is killed (a run stops within a batch)


class SharedFlag:
    """A set / clear flag in one byte of shared memory: a forked child sees the parent's writes, and
    is_set() takes no lock, so the training loop can read it every batch."""

    def __init__(self, memory: mmap.mmap, index: int):
        self._memory, self._index = memory, index

    def set(self) -> None:
        """Raise the flag."""
        self._memory[self._index] = 1

    def clear(self) -> None:
        """Lower the flag."""
        self._memory[self._index] = 0

    def is_set(self) -> bool:
        """True while the flag is raised."""
        return self._memory[self._index] == 1

    def wait(self, timeout: float | None = None) -> bool:
        """Poll until the flag is raised or timeout seconds pass; return whether it is raised."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True


def shared_flags() -> tuple[SharedFlag, SharedFlag]:
    """(cancel, running): lowered and raised, in anonymous shared memory that a fork inherits."""
    memory = mmap.mmap(-1, 2)  # MAP_SHARED | MAP_ANONYMOUS: shared with children forked after this
    cancel, running = SharedFlag(memory, 0), SharedFlag(memory, 1)
    running.set()
    return cancel, running


def fork_available(config, copies: int = 1) -> bool:
    """Whether config's run can train in a forked child here (else it trains in the worker's thread)."""
    if os.environ.get("AEGUI_TRAIN_IN_THREAD") == "1":  # an escape hatch, and a way to compare the two
        return False
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    device = config.training.device
    if device == "cuda":
        return False
    if device == "auto":
        if config.data.kind == "file":
            return False  # the file decides the model's width, and with it whether auto picks CUDA
        from .training import resolve_device, step_flops
        try:
            return resolve_device("auto", step_flops(config, copies))[0].type == "cpu"
        except Exception:  # noqa: BLE001 - an unusable config fails in the run, with the engine's message
            return False
    return True


class ChildDied(RuntimeError):
    """The training process ended without saying done (killed, crashed, or out of memory)."""


class TrainingProcess:
    """One run's forked child: start() it, then iterate messages() until done."""

    def __init__(self, config, cancel: SharedFlag, running: SharedFlag, *, threads: int | None = None,
                 copies: int = 1):
        ctx = multiprocessing.get_context("fork")
        self.cancel = cancel
        self.killed = False    # whether we ended it (stuck after Stop, or its relay failed)
        self.finished = False  # whether it sent finished (or failed): an end after that is no loss
        self._conn, self._child_end = ctx.Pipe(duplex=False)
        self.started = False   # whether it sent started (a kill after that has a run to store)
        self.process = ctx.Process(
            target=_child_main, name="aegui-training",
            daemon=True,  # a normal exit of the app ends it; a crash or kill of the app: see _child_main
            args=(self._child_end, self._conn, config, cancel, running, threads, copies, os.getpid()))

    def start(self) -> None:
        """Fork the child; from here the run is its own.

        Call it from a thread that has not run torch ops itself (the worker's fresh QThread): OpenMP's
        thread pool does not survive a fork, and a child of a thread that used one hangs in its first
        multi-threaded op.
        """
        # torch whole in this process first (this waits out an import the warm-up thread has begun): a fork
        # in mid-import leaves the child half a module; and the child starts with torch already loaded.
        from . import training  # noqa: F401
        with FORK_LOCK:  # never while another thread is inside torch (warm_up holds it): its locks would fork held
            # Objects that exist now are the parent's (Qt's among them): frozen, the child's collector never
            # runs their finalizers, not even in multiprocessing's start-up before _child_main.
            gc.freeze()
            try:
                self.process.start()
            except BaseException:
                self._conn.close()
                raise
            finally:
                gc.unfreeze()
                self._child_end.close()  # the child holds the only write end: its exit is our EOF

    def kill(self) -> None:
        """End the child now (a step that does not return); what it sent is kept."""
        if self.process.is_alive():
            self.killed = True
            self.process.kill()

    def messages(self) -> Iterator[tuple]:
        """Each (kind, *payload) the child sends, through done; ChildDied if it ends without done.

        After Stop, a training child that sends nothing for KILL_AFTER_S, or three times the longest
        silence it has kept so far (slow steps), is killed: it is stuck inside one step.
        """
        last, longest, done, paused = time.monotonic(), 0.0, False, False
        try:
            while True:
                if not self._conn.poll(POLL_S) and self.process.is_alive():
                    quiet = time.monotonic() - last
                    if not self.cancel.is_set() or not self.started or self.finished:
                        if not paused:  # a healthy pace: its silences set the patience
                            longest = max(longest, quiet)
                    elif quiet > max(KILL_AFTER_S, 3 * longest):
                        self.kill()
                    continue
                try:  # a dead child's last messages are still in the pipe; after them comes EOF
                    message = self._conn.recv()
                except (EOFError, OSError):  # OSError: it died part-way through a message
                    raise ChildDied(f"the training process ended unexpectedly "
                                    f"(exit code {self.join(1.0)})") from None
                now = time.monotonic()
                if self.started and not paused:
                    longest = max(longest, now - last)
                last = now
                if message[0] == "paused":
                    paused = bool(message[1])
                self.started = self.started or message[0] == "started"
                self.finished = self.finished or message[0] in ("finished", "failed")
                done = message[0] == "done"
                yield message
                if done:
                    return
        finally:
            self._conn.close()
            if not done:  # the caller stopped listening, or the child died: never leave it running
                self.kill()
                self.process.join(timeout=KILL_AFTER_S)
            # After done the child only exits; tearing down its copy of our memory takes ~15 ms, which
            # the window would wait out joining this thread. multiprocessing reaps it at the next start.

    def join(self, timeout: float | None = None) -> int | None:
        """Wait for the child to exit; its exit code (None if still running after timeout)."""
        self.process.join(timeout)
        return self.process.exitcode


class _WatchParent:
    """The running flag as the child reads it: a parent that died while the run was paused also stops it
    (a running child learns of it from its next send, which fails: the pipe has no reader left)."""

    def __init__(self, running: SharedFlag, cancel: SharedFlag, parent_pid: int):
        self._running, self._cancel, self._parent = running, cancel, parent_pid

    def is_set(self) -> bool:
        """True while the run may go on."""
        return self._running.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """As SharedFlag.wait; a dead parent raises cancel and returns True."""
        if os.getppid() != self._parent:  # re-parented: the window's process is gone
            self._cancel.set()
            return True
        return self._running.wait(timeout)


def _child_main(conn, parents_end, config, cancel, running, threads, copies, parent_pid) -> None:
    """The child's body: train and send every message up the pipe."""
    gc.freeze()  # and what multiprocessing's start-up made: never collected here either
    # The fork copied the parent's read end too: closed here, a dead parent is a failed send (the pipe
    # has no reader left), not a send that blocks forever on a full pipe.
    parents_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the parent's to handle
    # 'auto' asks torch whether CUDA is there; through NVML that question does not touch the CUDA driver,
    # which is not fork-safe once the parent has used it (its warm-up asked too).
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"

    def send(kind: str, *payload) -> None:
        if cancel.is_set() and os.getppid() != parent_pid:
            return  # the parent is gone and the run is stopping: nobody to tell
        try:
            conn.send((kind, *payload))
        except OSError:  # the parent is gone: stop
            cancel.set()

    try:
        RunStream(config, send, cancel, _WatchParent(running, cancel, parent_pid), threads=threads,
                  copies=copies).run()
    finally:
        conn.close()
