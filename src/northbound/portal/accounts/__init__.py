"""Accounts: sign-up, sign-in, server-side sessions, CSRF, email verification and reset."""
