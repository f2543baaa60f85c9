"""The HTTP API's gateway: SAM CLI's emulator with the JWT authorizer played in-process, API Gateway's payload
limits in front of it, and the connection limits its server (and the WebSocket management API's) holds to."""
