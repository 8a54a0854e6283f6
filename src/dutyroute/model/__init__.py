"""The records: the official lists (bodies, matters, rulebook), the rule files' entries, and the
:class:`~dutyroute.model.decision.Decision`. No I/O here: reading and writing is :mod:`dutyroute.store`."""
