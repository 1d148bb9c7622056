"""Scoring the winner on the test split once, and re-testing the top configs over seeds."""
