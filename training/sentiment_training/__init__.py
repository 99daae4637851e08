"""Training pipeline for the bundled ticket-sentiment model (needs the `train` extra)."""
