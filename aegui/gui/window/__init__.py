"""The main window and the parts it owns: actions and menus, layout, settings, file commands, run status,
and the controller that runs the training worker."""
