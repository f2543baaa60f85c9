"""Data access: DynamoDB (messages, conversations) and PostgreSQL (user profiles)."""
