"""Powertools Logger and Metrics shared by every function: every line the layer logs goes through this logger, so
it carries the invocation's keys (function, request id, correlation id) that the entry wrapper injects.

Powertools reads its own variables (service name, log level); the namespace's default is the layer's.
"""

from aws_lambda_powertools import Logger, Metrics

from messaging.core.config import settings

logger = Logger()
metrics = Metrics(namespace=settings().metrics_namespace)
