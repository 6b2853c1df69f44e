"""The service: FastAPI app over the optimizer core."""
