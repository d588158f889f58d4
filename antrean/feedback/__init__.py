"""Appreciation, suggestions and complaints from the SIGAP menu: numbered tickets that
officers answer later (the back office's inbox builds on these)."""
