"""Per-user and per-connection limits held in DynamoDB (GCRA)."""
