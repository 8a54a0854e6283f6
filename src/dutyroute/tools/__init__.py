"""Tools over the library: lint (checks of rulebooks, bodies, rule files and list texts), batch
(the JSON Lines batch format) and evaluate (scoring labeled cases)."""
