"""Cruddur's users: profiles in PostgreSQL, and the caller behind a Cognito sign-in."""
