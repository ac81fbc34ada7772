"""reduce-worker: cross-firm themes from every firm's topics."""
