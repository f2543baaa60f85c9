"""Cruddur Messages: the shared layer behind every Lambda of the service.

Layering: the edges, ``api`` (HTTP: requests, responses, the one error mapping), ``stream`` (DynamoDB Streams
batches) and ``websocket`` (the WebSocket API), call ``logic`` (the access patterns), which calls ``dal`` (DynamoDB
and PostgreSQL). Nothing below the edges knows about HTTP, stream records or Lambda events;
tests/unit/test_import_layering.py holds the rules.
"""
