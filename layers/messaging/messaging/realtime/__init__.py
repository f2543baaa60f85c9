"""Real-time delivery: the WebSocket API's authorizer and routes, connections, push."""
