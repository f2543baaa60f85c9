"""The access patterns A-E, in terms of the domain; no HTTP and no storage details here."""
