"""The simulator: Northbound's own waiting room and admission control on a virtual clock.

- :mod:`.events` the discrete-event loop; :mod:`.aio` runs the surge code's coroutines on it;
- :mod:`.servers` instances and the database as queues; :mod:`.faults` what goes wrong;
- :mod:`.crowd` who comes and what they ask for; :mod:`.people` how each person behaves;
  :mod:`.deadlines` their browsers' limits on requests, kept out of the heap;
- :mod:`.site` the request path through the real ``WaitingRoom`` and ``Limiter``;
- :mod:`.policies` the defences compared; :mod:`.run` one night for one policy;
- :mod:`.measures` and :mod:`.stability` what is measured; :mod:`.summary` and :mod:`.page`
  the lab's report; :mod:`.cli` the ``northbound lab simulate`` command.
"""
