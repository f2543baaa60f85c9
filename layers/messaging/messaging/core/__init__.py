"""The shared core: domain records, errors, configuration (the one reader of the environment), the one Lambda entry
wrapper, AWS clients, observability, token checks."""
