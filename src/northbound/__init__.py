"""Northbound: an immigration website that stays up on election night."""

__version__ = "0.1.0"
