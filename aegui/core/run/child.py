"""Runs a RunStream in a training process of its own, started from a clean server, never by forking the window.

Why a process: in one process the GUI thread's Python (pyqtgraph's paints, the slots that take each
chunk) holds the GIL that the training thread needs between torch ops, and on a 2-core machine the
window cost the run 15–30% of its headless throughput. A training process has a GIL of its own.

Why not fork the window: its process has Qt's threads, and once it has used CUDA a forked child fails
its first backward ("Unable to handle autograd's threading in combination with fork-based
multiprocessing"; seen on an H100). So on Linux each run's process is forked from a forkserver: a
single-threaded Python that imported and warmed the engine and torch once (preload.py) and never
touches CUDA. A run's process starts in tens of milliseconds with everything loaded, may use CUDA
itself, and is reaped when it is done. macOS and Windows, which have no safe fork, spawn each run's
process instead: the same code, paying torch's import (~2.4 s) per Run.

As with any multiprocessing program that does not fork itself, each run's process first imports the
parent's main script as __mp_main__: a script that opens the window must guard its body with
`if __name__ == "__main__":` (the `aegui` command and `python -m aegui` do).
"""

from __future__ import annotations

import errno
import importlib
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

from ..engine.records import Paused, RunEnd, RunFailed, RunStart, Sent, StreamDone
from .stream import RunStream

POLL_S = 0.1        # how often a waiting parent checks that its child is still alive
KILL_AFTER_S = 5.0  # after Stop, a child that sends nothing this long is killed (a run stops within a batch)
PRELOAD = "aegui.core.run.preload"  # what the forkserver imports once, for every run's process to inherit
SERVER_ANSWER_S = 120.0  # the longest a run's start waits for the forkserver (its first warm-up takes ~5 s)
STOPPED_S = 2.0          # a forkserver stopped (SIGSTOP, a debugger) this long is ended and replaced


START_METHODS = ("forkserver", "spawn")


def start_method() -> str:
    """forkserver on Linux; spawn where fork is unsafe (macOS) or missing (Windows).

    AEGUI_START_METHOD=spawn (or forkserver) overrides it, so that Linux and CI run the path macOS and
    Windows take."""
    chosen = os.environ.get("AEGUI_START_METHOD", "").strip().lower()
    available = multiprocessing.get_all_start_methods()
    if chosen in START_METHODS and chosen in available:
        return chosen
    linux = sys.platform.startswith("linux")
    return "forkserver" if linux and "forkserver" in available else "spawn"


def context():
    """The multiprocessing context every training process starts from (its server preloaded)."""
    method = start_method()
    if method == "forkserver":
        # importlib, not `import multiprocessing.forkserver`: that statement would make `multiprocessing`
        # a local name of this whole function, unbound on the spawn path (every Run failed on macOS/Windows)
        importlib.import_module("multiprocessing.forkserver").set_forkserver_preload([PRELOAD])
    return multiprocessing.get_context(method)


def start_forkserver() -> None:
    """Start the forkserver now, if runs fork from it (it imports and warms torch in its own process)."""
    if context().get_start_method() == "forkserver":
        importlib.import_module("multiprocessing.forkserver").ensure_running()


def train_in_thread() -> bool:
    """Whether runs train in the window's worker thread instead (AEGUI_TRAIN_IN_THREAD=1: an escape hatch,
    and a way to compare the two; CUDA then initialises in the window's process)."""
    return os.environ.get("AEGUI_TRAIN_IN_THREAD") == "1"


class SharedFlag:
    """A set / clear flag in one byte of shared memory that a training process is handed at its start;
    is_set() takes no lock, so the training loop can read it every batch."""

    def __init__(self, memory, index: int):
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
    """(cancel, running): lowered and raised, in shared memory a training process can be given.

    OSError (ENOSPC) when neither /dev/shm nor the temporary folder has room for them."""
    memory = _reserve(multiprocessing.RawArray("b", 2))  # a file-backed map: passed to a spawned or forkserver child
    cancel, running = SharedFlag(memory, 0), SharedFlag(memory, 1)
    running.set()
    return cancel, running


def _reserve(memory):
    """Give the map's file its blocks now. multiprocessing maps a sparse file; with /dev/shm and $TMPDIR
    both full, the first write to it was a SIGBUS that killed the window. posix_fallocate says ENOSPC."""
    try:
        arena = memory._wrapper._state[0][0]  # noqa: SLF001 - heap.BufferWrapper: (block, size), block[0] the arena
        fd, size = arena.fd, arena.size
    except (AttributeError, IndexError, TypeError):
        return memory  # another Python's layout: nothing to reserve through
    if fd < 0 or not hasattr(os, "posix_fallocate"):
        return memory  # an anonymous map (no file behind it), or macOS: nothing sparse to fill
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP):
            return memory  # a file system that cannot preallocate: as before
        raise OSError(exc.errno, "no room for the run's shared flags: /dev/shm and the temporary folder "
                      f"({tempfile.gettempdir()}) are full ({os.strerror(exc.errno)}); free space there "
                      "and press Run again") from None
    return memory


class ServerNotAnswering(RuntimeError):
    """The forkserver did not start the run's process: it was stopped or frozen (and was ended), or Stop came
    first."""


def _server_pid() -> int | None:
    server = importlib.import_module("multiprocessing.forkserver")._forkserver
    return getattr(server, "_forkserver_pid", None)


def _state(pid: int) -> bytes | None:
    """The process's state letter from /proc (R, S, T, Z, …); None where there is no such process or /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return stat[stat.rindex(b")") + 2:][:1]
    except (OSError, ValueError):
        return None


def _is_stopped(pid: int) -> bool:
    """True when the process is stopped (SIGSTOP, a debugger): state T or t in /proc."""
    return _state(pid) in (b"T", b"t")


def _end_server(pid: int | None) -> None:
    """Kill a forkserver that does not answer; the next start() starts a new one (ensure_running). Waits until
    it is dead (a zombie for ensure_running to reap): until then ensure_running took it for alive, and the next
    Run's connect was refused."""
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return
    deadline = time.monotonic() + 5.0
    while _state(pid) not in (b"Z", b"X", None) and time.monotonic() < deadline:
        time.sleep(0.01)


def _start_watched(process, cancel: SharedFlag) -> None:
    """process.start() through the forkserver, without ever blocking for good on a server that does not
    answer: a stopped server is ended after STOPPED_S, any after SERVER_ANSWER_S; Stop gives up at once."""
    errors: list[BaseException] = []

    def start() -> None:
        try:
            process.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            errors.append(exc)
    starter = threading.Thread(target=start, name="aegui-start", daemon=True)
    t0, stopped_since = time.monotonic(), None
    starter.start()
    while starter.is_alive():
        starter.join(POLL_S)
        if not starter.is_alive():
            break
        now, pid = time.monotonic(), _server_pid()
        stopped_since = (stopped_since or now) if pid is not None and _is_stopped(pid) else None
        if stopped_since is not None and now - stopped_since >= STOPPED_S:
            _end_server(pid)
            starter.join(KILL_AFTER_S)
            raise ServerNotAnswering(f"the training server (pid {pid}) is stopped and did not start the run; "
                                     "it was ended, and the next Run starts a new one")
        if now - t0 >= SERVER_ANSWER_S:
            _end_server(pid)
            starter.join(KILL_AFTER_S)
            raise ServerNotAnswering(f"the training server (pid {pid}) did not start the run within "
                                     f"{SERVER_ANSWER_S:.0f} s; it was ended, and the next Run starts a new one")
        if cancel.is_set():  # a run asked to stop before it began has nothing to store
            raise ServerNotAnswering("stopped before the training server started the run")
    if errors:
        raise errors[0]


class ChildDied(RuntimeError):
    """The training process ended without saying done (killed, crashed, or out of memory)."""


class TrainingProcess:
    """One run's training process: start() it, give() it its run (or pass the config at once), then iterate
    records() until StreamDone.

    Without a config it is a standby: it starts, imports and warms the engine, and waits for give(). A
    spawned process pays torch's import (~2.4 s) before it can train; a standby has paid it before Run.
    """

    def __init__(self, config=None, cancel: SharedFlag | None = None, running: SharedFlag | None = None, *,
                 threads: int | None = None, copies: int = 1):
        from ..engine import training  # the parent's train, looked up now: a stand-in (a test's fault) runs there too
        ctx = context()
        self._method = ctx.get_start_method()
        if cancel is None or running is None:
            cancel, running = shared_flags()
        self.cancel, self.running = cancel, running
        self.killed = False    # whether we ended it (stuck after Stop, or its relay failed)
        self.finished = False  # whether it sent finished (or failed): an end after that is no loss
        self.started = False   # whether it sent started (a kill after that has a run to store)
        self.given = config is not None  # whether it has its run (a standby waits for give())
        self._conn, self._child_end = ctx.Pipe(duplex=False)
        self._job_end, self._jobs = ctx.Pipe(duplex=False)  # the standby's run arrives here
        job = None if config is None else (config, threads, copies, training.train)
        self._warm = SharedFlag(_reserve(multiprocessing.RawArray("b", 1)), 0)  # raised once a standby is warm
        self.process = ctx.Process(
            target=_child_main, name="aegui-training",
            daemon=True,  # a normal exit of the app ends it; a crash or kill of the app: see _ParentWatch
            args=(self._child_end, self._job_end, cancel, running, self._warm, job))

    def start(self) -> None:
        """Start the child (forked by the server, or spawned); from here the run is its own.

        A forkserver that does not answer (stopped, frozen) would block process.start() for good, and with
        it Stop and closing the window: it is waited for off this thread, and ended if it stays stopped,
        if Stop is asked meanwhile, or after SERVER_ANSWER_S (ServerNotAnswering)."""
        try:
            if self._method == "forkserver":
                _start_watched(self.process, self.cancel)
            else:
                self.process.start()
        except BaseException:
            self._conn.close()
            self._jobs.close()
            raise
        finally:
            self._child_end.close()  # the child holds the only write end: its exit is our EOF
            self._job_end.close()

    def give(self, config, *, threads: int | None = None, copies: int = 1) -> None:
        """Hand a standby its run; it starts training at once if it has warmed up, else once it has."""
        from ..engine import training
        if self.given:
            raise RuntimeError("this training process already has its run")
        self.given = True
        self._jobs.send((config, threads, copies, training.train))

    def is_warm(self) -> bool:
        """True once a standby has imported and warmed the engine (a process given its config at once never
        says so)."""
        return self._warm.is_set()

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.is_alive()

    def close(self) -> None:
        """End a standby that was never given a run (it exits on its own once its job pipe closes)."""
        self._jobs.close()
        self._conn.close()
        if self.process.pid is not None and self.join(2.0) is None:
            self.kill()
            self.join(2.0)

    def kill(self) -> None:
        """End the child now (a step that does not return); what it sent is kept."""
        if self.process.is_alive():
            self.killed = True
            self.process.kill()

    def records(self) -> Iterator[Sent]:
        """Each record the child sends (records.py), through StreamDone; ChildDied if it ends without it.

        After Stop, a training child that sends nothing for KILL_AFTER_S, or three times the longest gap
        between the records it sent while it trained (slow steps), is killed: it is stuck inside one step.
        The patience counts from Stop, or from its last record after Stop: a silence before Stop is no pace.
        """
        last, longest, done, paused, asked = time.monotonic(), 0.0, False, False, None
        try:
            while True:
                if not self._conn.poll(POLL_S) and self.process.is_alive():
                    if self.cancel.is_set() and self.started and not self.finished:
                        asked = time.monotonic() if asked is None else asked
                        if time.monotonic() - max(last, asked) > max(KILL_AFTER_S, 3 * longest):
                            self.kill()
                    continue
                try:  # a dead child's last records are still in the pipe; after them comes EOF
                    record = self._conn.recv()
                except (EOFError, OSError):  # OSError: it died part-way through a record
                    raise ChildDied(f"the training process ended unexpectedly "
                                    f"(exit code {self.join(1.0)})") from None
                now = time.monotonic()
                if self.started and not paused and asked is None:  # a pace measured while it trained
                    longest = max(longest, now - last)
                last = now
                if isinstance(record, Paused):
                    paused = record.paused
                self.started = self.started or isinstance(record, RunStart)
                self.finished = self.finished or isinstance(record, (RunEnd, RunFailed))
                done = isinstance(record, StreamDone)
                yield record
                if done:
                    return
        finally:
            self._conn.close()
            self._jobs.close()
            if not done:  # the caller stopped listening, or the child died: never leave it running
                self.kill()
            if self.join(KILL_AFTER_S) is None:  # reaped here: after done it only exits (~20 ms)
                self.kill()
                self.join(KILL_AFTER_S)

    def join(self, timeout: float | None = None) -> int | None:
        """Wait for the child to exit; its exit code (None if still running after timeout)."""
        self.process.join(timeout)
        return self.process.exitcode


class _ParentWatch:
    """The running flag as the child reads it: a window that died while the run was paused also stops it
    (a running child learns of it from its next send, which fails: the pipe has no reader left)."""

    def __init__(self, running: SharedFlag, cancel: SharedFlag):
        self._running, self._cancel = running, cancel
        self._parent = multiprocessing.parent_process()  # its sentinel reads EOF once the window is gone

    def is_set(self) -> bool:
        """True while the run may go on."""
        return self._running.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """As SharedFlag.wait; a dead parent raises cancel and returns True."""
        if self._parent is not None and not self._parent.is_alive():
            self._cancel.set()
            return True
        return self._running.wait(timeout)


def _child_main(conn, job_end, cancel, running, warm, job) -> None:
    """The child's body: wait for its run if it is a standby, train, and send every record up the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the parent's to handle
    if job is None:  # a standby: warm up now (no CUDA: the run may choose its device), then wait
        importlib.import_module(PRELOAD)
        warm.set()
        try:
            job = job_end.recv()
        except (EOFError, OSError):  # closed unused, or the window is gone
            conn.close()
            return
    job_end.close()
    # train: the parent's training.train, handed over by name (see TrainingProcess): the engine's own, or a
    # test's stand-in. It is given to the stream, never bound into this process's training module.
    config, threads, copies, train = job

    def send(record) -> None:
        try:
            conn.send(record)
        except OSError:  # the parent is gone: stop
            cancel.set()

    try:
        RunStream(config, send, cancel, _ParentWatch(running, cancel), threads=threads, copies=copies,
                  train=train).run()
    finally:
        conn.close()


def probe() -> dict:
    """Ask a fresh training process what torch it has and whether CUDA is there (the window never asks
    CUDA itself); this also waits out the forkserver's warm-up."""
    ctx = context()
    parent_end, child_end = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_probe_main, args=(child_end,), name="aegui-probe", daemon=True)
    try:
        if ctx.get_start_method() == "forkserver":
            _start_watched(process, SharedFlag(bytearray(1), 0))  # nothing cancels a probe
        else:
            process.start()
        child_end.close()
        if not parent_end.poll(120):
            raise TimeoutError("the training process did not answer within 120 s")
        return parent_end.recv()
    finally:
        parent_end.close()
        if process.pid is not None:
            process.join(10)
            if process.exitcode is None:
                process.kill()
                process.join()


def _probe_main(conn) -> None:
    import torch
    conn.send({"torch": torch.__version__, "cuda": bool(torch.cuda.is_available())})
    conn.close()
