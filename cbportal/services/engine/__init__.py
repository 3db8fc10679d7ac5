"""The worker that runs due work (timers stored as data), its lanes and wake-ups, test mode and the
demo data.

Modules: demo, due, due_work, testmode, wakeup, worker.
"""
