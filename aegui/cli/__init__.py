"""The `aegui` command: parser.py builds the flags from the schema and dispatches; train.py (run, presets),
grid.py and history.py (runs, show, export, figure, data) run the headless subcommands.
The CLI imports gui only inside functions, to save images or open the window."""

from .parser import main

__all__ = ["main"]
