"""gunicorn's settings for the web process of the Procfile (`make serve`), from the environment.

Threads rather than processes: the pages mostly wait on PostgreSQL, and a thread costs far
less memory than a process. Static files are served by whitenoise inside the same workers.
"""

import os

# honcho gives the web process its PORT; HOST is 127.0.0.1 unless said otherwise, so only a
# proxy on the same machine (which ends TLS) reaches gunicorn.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request still running after this long has hung: its worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 1000
max_requests_jitter = 100
# Trust X-Forwarded-* only from the proxy's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
