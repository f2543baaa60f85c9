"""Operator scripts (bin/): they target the running local stack by default and AWS when given ``prod``."""
