"""The weekly learning-path adjustment job and schedule."""
