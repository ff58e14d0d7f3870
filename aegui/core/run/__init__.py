"""Running the engine in its own process: the stream of records, the training process, the standby."""
