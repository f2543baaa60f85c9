"""The HTTP API's edge, shared by every HTTP route: API Gateway (payload v2) events in (``request``), JSON answers
out (``response``), the one table from errors to statuses (``error_table``), the wire models (``models``), and the
Lambda entry of an HTTP route (``handler``). The WebSocket API answers with the same error table and message views.

Nothing is imported here: each function imports the modules it uses, so none pays for another's.
"""
