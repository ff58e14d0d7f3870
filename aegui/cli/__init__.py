"""The `aegui` command: parser.py builds the flags from the schema and dispatches; commands.py and grid.py
run the headless subcommands. The CLI imports gui only inside functions, to save images or open the window."""

from .parser import main

__all__ = ["main"]
