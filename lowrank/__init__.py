"""lowrank: fast, trustworthy randomized and structured numerical linear algebra."""
__version__ = "0.1.0"
