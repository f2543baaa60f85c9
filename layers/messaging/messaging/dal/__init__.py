"""Data access: DynamoDB (messages, message groups) and PostgreSQL (user profiles)."""
