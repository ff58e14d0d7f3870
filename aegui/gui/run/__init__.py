"""A run in the window: the worker that drives the training process, its controller, and the views of its records."""
