"""The version of mmbank."""

__version__ = '0.1.0'
