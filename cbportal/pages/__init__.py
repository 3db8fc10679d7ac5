"""One module per route: layout only, bound to state classes."""
