"""Business services: every rule of ../shared/RULES.md lives below this package.

Services take a SQLModel Session and the clock (or an explicit `now`) and know
nothing of Reflex. Pure maths modules (money, calendar, dunning) touch no database.
"""
