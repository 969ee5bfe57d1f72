"""The real multi-instance shape on one machine: nginx, N instances, PostgreSQL and Redis.

``northbound cluster up`` runs it in the foreground; the fault bench (``bench/faults.py``)
drives it with the surge lab while it kills and restarts its parts.
"""
