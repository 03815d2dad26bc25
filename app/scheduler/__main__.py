"""``python -m app.scheduler``: the scheduler in its own process (``retention scheduler``)."""

from app.scheduler.jobs import run_scheduler

if __name__ == "__main__":
    run_scheduler()
