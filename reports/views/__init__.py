"""Report pages, on the back office's parent (``/gestion/rapports…``). Their blueprints'
names start with ``reports`` so the read-only « gestionnaire » role is let through to
them, and to nothing else of the back office."""
