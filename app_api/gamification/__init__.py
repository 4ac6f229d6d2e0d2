"""Gamification: XP, levels, daily streaks, badges and leaderboards (issue 15, points 1-3)."""
