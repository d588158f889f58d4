"""Public pages: the office list with free places, and the health check."""
