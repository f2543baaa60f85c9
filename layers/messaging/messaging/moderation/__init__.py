"""Moderation: members report messages (the report route), operators list and resolve them (bin/moderation)."""
