"""Adapters to the outside world, behind the ports declared in ``domain/ports.py``."""
