"""PazPaz: practice management for independent therapists."""

__version__ = "0.1.0"
