"""The operator's console: ``/en/staff/console`` and ``/fr/personnel/console``.

Every instance publishes a snapshot of its own figures to the shared store every few seconds
(``publisher``); the console page, whichever instance serves it, reads every instance's
snapshots back (``store``), turns them into rates and percentiles (``figures``) and draws the
last 30 minutes (``charts``). Its controls act on the shared waiting room and the notice, and
every action is written to the staff audit table (``actions``).
"""
