"""Vendor and master accounts, users, sign-in and sessions, API keys, roles and page access (R8),
business calendars (R2).

Modules: accounts, auth, business_calendars, dashboard, invitations, linking, page_access, ratelimit, users.
"""
