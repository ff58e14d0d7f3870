"""Figures on disk: export as PNG, SVG or CSV with the runs' metadata, written atomically; open a saved one."""
