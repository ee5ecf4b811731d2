"""gunicorn settings for Sayso's app servers (stateless: run as many as needed behind a proxy)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
keepalive = 5
# Workers are not recycled by default: a fresh worker starts with a cold local-memory page
# cache, and at thousands of requests a second any fixed limit comes round every few
# seconds. Set GUNICORN_MAX_REQUESTS if a leak ever needs it.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
wsgi_app = "sayso.wsgi:application"
# Readers' and storytellers' addresses are not ours to keep: no access log by default,
# and if one is switched on it records no client address and no query string (searches).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
# gunicorn logs "Invalid request from ip=..." at debug level, so never below info.
loglevel = "info"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
