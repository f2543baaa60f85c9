"""Powertools Logger and Metrics shared by every function (service and namespace come from the environment)."""

import os

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CruddurMessages"))
