"""gunicorn's settings for production, all from the environment (make serve; README, Deployment).

gunicorn -c iertracker/gunicorn.conf.py iertracker.wsgi
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from iertracker.env import envint

# gunicorn serves the production configuration only: the settings then refuse a missing or
# development SECRET_KEY and an empty ALLOWED_HOSTS.
if os.environ.get("DEBUG", "1").strip().lower() in {"1", "true", "yes", "on"}:
    raise RuntimeError(
        "gunicorn runs the production configuration: set DEBUG=0 (README, Deployment). "
        "For local development use `make run`."
    )

bind = os.environ.get("BIND", "127.0.0.1:8001")
workers = envint("WEB_CONCURRENCY", 2, minimum=1)
threads = envint("GUNICORN_THREADS", 1, minimum=1)
timeout = envint("GUNICORN_TIMEOUT", 60, minimum=1)
graceful_timeout = 30
# The reverse proxy's address, trusted for X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log on stdout, one JSON object per line like the application's logs.
accesslog = "-"
errorlog = "-"
access_log_format = (
    '{"time": "%(t)s", "logger": "access", "remote": "%(h)s", "method": "%(m)s",'
    ' "path": "%(U)s", "query": "%(q)s", "status": %(s)s, "bytes": "%(B)s",'
    ' "duration_ms": %(M)s, "user_agent": "%(a)s"}'
)
# Request lines of up to 8,190 bytes (gunicorn's largest; its default is 4,094): the API answers
# a URL over its own limit (recommendations.api.MAX_URL_LENGTH) with a JSON 414 it documents.
limit_request_line = 8190
