"""Pure building blocks every area uses: money (R1), calendars and the clock (R2), errors, input
policy, audit and change rows, text search.

Modules: audit, calendar, changes, clock, countries, errors, input_policy, money, prefix, text_search,
timefmt.
"""
