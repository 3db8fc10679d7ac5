"""Business services: every rule of ../shared/RULES.md lives below this package.

Services take a SQLModel Session and the clock (or an explicit `now`) and know
nothing of Reflex. Pure maths modules (money, calendar, dunning) touch no database.

One package per area:
- `core/`      money (R1), calendars and the clock (R2), errors, input policy, audit rows
- `accounts/`  accounts, users, sign-in, API keys, roles and page access (R8)
- `staff/`     the staff desk, product review, the email gallery
- `tickets/`   the ticket lifecycle (R3): open, reply, timers, processing, desk, board
- `billing/`   products, checkout, charges, refunds, subscriptions, orders (R1, R5-R7), gateways
- `delivery/`  the email outbox and links (R4), instant notifications (R9), inbound mail
- `engine/`    the worker, its lanes and due-work sources, test mode, demo data
"""
