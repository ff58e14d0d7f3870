"""One training process kept warm ahead of Run, where each run's process is spawned (macOS, Windows, and
Linux with AEGUI_START_METHOD=spawn).

A spawned process imports torch and warms the engine before it can train: 2.75–2.94 s from Run to the
first point, against 0.07 s for a process forked from the warm forkserver (measured on Linux, same
machine, same minutes). So the window spawns one standby ahead of time (child.TrainingProcess with no
config: it warms up, never touches CUDA, and waits); a Run hands it its config, and a new standby is
spawned at once for the next Run. A standby that dies (crash, kill, out of memory) is noticed by a
watcher thread and replaced. Closing the window ends it.
"""

from __future__ import annotations

import sys
import threading
import time
from multiprocessing.connection import wait

from . import child

WATCH_S = 1.0  # how often the watcher looks again when nothing has happened


class Standby:
    """Keeps at most one warm, idle training process; take() hands it out and starts the next one."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ready: child.TrainingProcess | None = None
        self._wanted = False
        self._starting = False
        self._watcher: threading.Thread | None = None
        self.replaced = 0  # standbys that died idle and were replaced (tests and the status read it)

    def start(self) -> None:
        """Keep a standby from now on (a no-op where run processes fork from the forkserver)."""
        if child.start_method() != "spawn":
            return
        with self._lock:
            self._wanted = True
            if self._watcher is None:
                import atexit
                atexit.register(self.close)  # before multiprocessing's own exit handler terminates it
                self._watcher = threading.Thread(target=self._watch, name="aegui-standby", daemon=True)
                self._watcher.start()
        self._replenish()

    def take(self) -> child.TrainingProcess | None:
        """The warm standby, started and waiting for TrainingProcess.give(); None when there is none (the
        caller starts a fresh process). A new standby starts in the background either way."""
        with self._lock:
            proc, self._ready = self._ready, None
        if proc is not None and not proc.alive():  # died idle, and the watcher has not seen it yet
            proc.close()
            proc = None
        if proc is not None or self._wanted:
            threading.Thread(target=self._replenish, name="aegui-standby-start", daemon=True).start()
        return proc

    def ready(self) -> child.TrainingProcess | None:
        """The idle standby, if one is started (not handed out)."""
        return self._ready

    def close(self) -> None:
        """End the idle standby and keep none (the window is closing)."""
        with self._lock:
            self._wanted, proc, self._ready = False, self._ready, None
        if proc is not None:
            proc.close()

    def _replenish(self) -> None:
        with self._lock:
            if not self._wanted or self._ready is not None or self._starting:
                return
            self._starting = True
        proc = None
        try:
            proc = child.TrainingProcess()
            proc.start()
        except Exception as exc:  # noqa: BLE001 - no standby: the next Run spawns its own process
            print(f"aegui: could not start a standby training process ({type(exc).__name__}: {exc})",
                  file=sys.stderr)
            proc = None
        finally:
            with self._lock:
                self._starting = False
                if proc is not None and self._wanted and self._ready is None:
                    self._ready, proc = proc, None
        if proc is not None:  # closed while it started
            proc.close()

    def _watch(self) -> None:
        """Replace a standby that dies while it waits."""
        while self._wanted:
            proc = self._ready
            if proc is None:
                time.sleep(WATCH_S)
                continue
            if not wait([proc.process.sentinel], WATCH_S):
                continue
            with self._lock:
                died = self._ready is proc
                if died:
                    self._ready = None
            if died:
                print(f"aegui: the standby training process ended (exit code {proc.join(1.0)}); "
                      "starting another", file=sys.stderr)
                proc.close()
                self.replaced += 1
                self._replenish()


STANDBY = Standby()  # the window's one standby (started by start_server under spawn)


def start_server() -> None:
    """Warm up ahead of the first Run: the forkserver where runs fork from it, else the standby."""
    child.start_forkserver()
    STANDBY.start()


def stop_server() -> None:
    """End the standby, if one waits (the window is closing); the forkserver ends with the app."""
    STANDBY.close()


def take() -> child.TrainingProcess | None:
    """The window's warm standby, or None (see Standby.take)."""
    return STANDBY.take()
