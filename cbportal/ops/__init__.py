"""Operating cbportal: health and readiness, metrics, structured logs, worker heartbeats,
backups and `cbportal doctor`. Nothing here holds a business rule."""
