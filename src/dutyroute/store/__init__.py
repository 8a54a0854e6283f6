"""Reading and writing the data on disk: YAML with ``file:line`` errors, bodies, roles, the compiled
rulebook, the rule files, and :class:`~dutyroute.store.bundle.Bundle` — a rulebook and its rule
files loaded from one folder, the seam the CLI, the router and the service share."""
