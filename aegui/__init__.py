"""aegui: see why an autoencoder's loss will not go to zero, by experiment."""

__version__ = "0.1.0"
