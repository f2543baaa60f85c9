"""Cruddur Messages: the shared layer behind every Lambda of the service.

Layering: ``api`` (HTTP edge: requests, responses, the one error mapping) calls ``logic`` (the access patterns),
which calls ``dal`` (DynamoDB and PostgreSQL). Nothing below ``api`` knows about HTTP.
"""
