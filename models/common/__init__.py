"""What every model shares: its MLflow registry plumbing."""
