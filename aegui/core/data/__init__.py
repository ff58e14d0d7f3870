"""The data a run trains on: generated kinds and files, read and described."""
