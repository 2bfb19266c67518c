"""Tools for testing code built on leadcore: hypothesis strategies and (later) kits.

See :mod:`leadcore.testing.strategies`.
"""
