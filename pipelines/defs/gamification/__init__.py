"""Gamification's part of the pipeline: the leaderboard serving cache and the XP ledger check (issue 15)."""
