"""The Lambda runtime, in-process: the template's handlers with their environment and a Lambda context."""
