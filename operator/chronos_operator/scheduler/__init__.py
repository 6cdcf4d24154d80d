"""Scheduling: the view of jobs and runs, the pure decision, and the loop that applies it."""
