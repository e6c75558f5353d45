"""
gunicorn's settings for the Procfile, `make run` and the bench, read from the environment (README,
"Production"). Flags on gunicorn's command line override them.
"""

import os

from plandisc.env import envbool, envint

# gunicorn's advice of 2 × cores + 1, at most 8: each worker holds about 100 MB (bench/RESULTS.md) and a
# PostgreSQL connection of its own. Heroku sets WEB_CONCURRENCY for the dyno's size.
workers = envint("WEB_CONCURRENCY", str(min(2 * (os.cpu_count() or 1) + 1, 8)))
# Sync workers unless asked: under the bench's replay threads left the cores idle on GIL hand-offs.
threads = envint("GUNICORN_THREADS", "1")
worker_class = "gthread" if threads > 1 else "sync"

# Heroku-style: the platform names the port and routes to it from outside.
bind = f"0.0.0.0:{os.environ['PORT']}" if os.getenv("PORT") else "127.0.0.1:8000"

# A stopping worker (deploy, restart) finishes its request, then writes the SCIM activity rows it still holds
# (scim/activity.py writes them at exit at once, whatever SCIM_ACTIVITY_MAX_DELAY says: one INSERT). Killed
# before that, it loses them. A request may take `timeout` seconds; ten more are for that INSERT on a slow
# database. Platforms may kill sooner (Heroku 30 s after SIGTERM); gunicorn waits no longer than its workers.
timeout = 30
graceful_timeout = timeout + 10

# gunicorn believes forwarded headers where the app does (plandisc/settings.py, PLANDISC_BEHIND_PROXY). Its
# default takes X-Forwarded-Proto from 127.0.0.1 for https, so a plain http request from there would pass for
# https whatever the setting says. Behind the proxy, from any address ("*"): a load balancer's address is
# rarely known in advance, and the proxy replaces what clients send in the one header it must set, the one
# the app reads.
if envbool("PLANDISC_BEHIND_PROXY", "False"):
    forwarded_allow_ips = "*"
    secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}
# gunicorn lets trusted proxies set SCRIPT_NAME and PATH_INFO through headers; the app needs neither.
forwarder_headers = ""
