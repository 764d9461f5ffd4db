"""Async resolvers: load -> decide (domain) -> save -> return records or domain errors.

They never build GraphQL types (``schema/`` converts what they return), so
imports flow one way: app -> schema -> resolvers -> domain, db.
"""
