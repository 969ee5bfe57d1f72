"""What the tests share: one fake clock, one ASGI harness, the app and its settings, the
outside services. Test modules import from here, never from one another."""
