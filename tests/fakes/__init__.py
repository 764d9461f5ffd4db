"""Stateful fakes of the outside world, for tests, end-to-end runs and benchmarks."""
