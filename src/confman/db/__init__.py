"""Database layer: the declarative base, the engine factory and every model."""
