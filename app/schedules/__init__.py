"""Recurring maintenance: schedules that put chore cards on the board on time."""
