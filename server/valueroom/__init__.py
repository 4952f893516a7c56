"""valueroom: a live, shared room for value-oriented negotiation."""

__version__ = "0.1.0"
