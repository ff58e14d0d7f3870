"""The loss × data grid: the dialog that sets it up, its cells, the figure that lays them out, the run."""
