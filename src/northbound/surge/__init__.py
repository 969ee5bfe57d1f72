"""What keeps it up: a reusable ASGI layer that knows nothing about immigration."""
