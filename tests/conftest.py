"""A watchdog for the whole suite: a test that hangs ends the run with every thread's traceback.

One full run hung with the main thread and a worker QThread both waiting (as if for the GIL); a Python-level
timeout cannot fire then, but faulthandler's watchdog is a C thread. No test here takes a minute alone.
"""

import faulthandler
import os
import sys

import pytest

TEST_LIMIT_S = 600


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Arm the watchdog for one test (setup, call and teardown), and disarm it after."""
    faulthandler.dump_traceback_later(TEST_LIMIT_S, exit=True, file=_stderr(item.config))
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def _stderr(config):
    """The terminal's stderr, not pytest's capture file (lost at exit): pytest's faulthandler plugin keeps a
    copy of it; without that plugin, a copy of fd 2 as it is now."""
    try:
        from _pytest.faulthandler import fault_handler_stderr_fd_key
        return config.stash[fault_handler_stderr_fd_key]
    except (ImportError, KeyError):
        global _SPARE
        if _SPARE is None:
            _SPARE = os.dup(sys.__stderr__.fileno())
        return _SPARE


_SPARE: int | None = None  # the fallback copy of fd 2, made once
