"""The version of cible, in a module of its own: the modules that stamp it on their outputs import
it from here, not from the package (which imports the facade, which reaches them)."""

__version__ = "0.1.0"
