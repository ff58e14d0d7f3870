"""What a run is: the typed config, its schema and validation, config files and presets."""
