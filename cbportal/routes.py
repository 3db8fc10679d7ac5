"""Route constants and URL builders for the pages."""

HOME = "/"
LOGIN = "/login"
PORTAL = "/portal"
VENDOR = "/vendor"
STAFF = "/staff"
