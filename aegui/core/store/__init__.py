"""The run store: SQLite rows, loss blobs, compaction, and the recorder that feeds it."""
