"""Packaged demo configuration."""
