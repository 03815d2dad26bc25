"""``python -m app.scheduler``: the same as ``retention scheduler``."""

from app.cli import scheduler

if __name__ == "__main__":
    scheduler(metrics_port=None, metrics_host="127.0.0.1")
