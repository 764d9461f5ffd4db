"""Tests of the adapters in integrations/ against real local counterparts."""
