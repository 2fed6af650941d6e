"""Skranke: the reception desk of a Danish clinic, in the terminal."""
__version__ = "0.1.0"
