"""Rebuilding with a previous site's model: what a site records for it (records) and which site a build
reuses, under which options (policy)."""
