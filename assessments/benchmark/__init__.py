"""`manage.py bench`: the benchmark of a generated organisation (see docs/performance.md).

- ``recompute``: a balance recompute (load, compute, store) and its queries, per size;
- ``scene``: what a page needs that the generator does not make (a signed-in admin in a team,
  decisions, an open round, a fresh report), the pages to measure and their query counts;
- ``servers``: gunicorn and a Celery worker in production mode, as child processes;
- ``load``: the second process that sends the requests (standard library only).
"""
