"""Scheduled jobs (APScheduler 3): the nightly run at 02:00 in each dealer time zone."""
