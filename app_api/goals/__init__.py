"""Learning goals: target skill levels by a deadline, and the gap the learning-path generator closes."""
