"""Fair quota release: a window in which every request is an entry, a seeded lottery
anyone can audit, and first-come for what is left (docs/release.md)."""
