"""Persistence: Tortoise models, migrations and the repository (the only code that touches models)."""
