"""Conversations (patterns A-D and the read marker): their operations, logic and data access."""
