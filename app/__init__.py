"""Wiring: settings, authentication, the Starlette app and the command line."""
