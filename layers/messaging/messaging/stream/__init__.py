"""The DynamoDB Streams edge: stream records in, messages to the logic, a partial batch failure report out."""

from messaging.stream.batch import stream_handler

__all__ = ["stream_handler"]
