"""The shared core: domain records, errors, configuration, AWS clients, observability, token checks."""
