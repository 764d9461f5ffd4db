"""Carriers: adapters behind ``domain.ports.Carrier`` (the store's own rate table, offline) and the
4x6 inch label PDF they print."""
