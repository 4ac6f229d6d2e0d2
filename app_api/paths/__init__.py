"""Learning paths of goals, next steps of enrollments and the weekly path adjustment."""
