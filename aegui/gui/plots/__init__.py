"""The plots: the live plot and its series buffers, decimation and pacing; the comparison plot; the
reconstruction view. They import nothing from window/, grid/ or figures/."""
