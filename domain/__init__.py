"""Pure business policies of Ordergraph.

Nothing here imports strawberry, starlette or tortoise, reads the clock or does
I/O: every function takes what it needs (including ``now``) and returns a value.
"""
