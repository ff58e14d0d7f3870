"""The training engine: models, losses, optimizers and the training loop as a generator of records."""
