"""Processing times: how long each kind of application takes now, and how many are ahead of yours.

Estimates are data: staff publish them (``northbound processing set``), and for the queues this
site runs itself (applications submitted through the portal) they are measured from the decisions
made. Pages read a snapshot held in memory, so the tool costs no database query per visitor.
"""
