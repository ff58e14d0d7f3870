"""The Qt-free engine: config, data, models, losses, floors, training loop and run store."""
