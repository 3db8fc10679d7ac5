"""The ticket lifecycle (R3): opening, replies, timers, processing by the worker, ticket email, the
vendor desk and the live board.

Modules: board, desk, lifecycle, mail, processing, thread, timers.
"""
