"""The REST API v1 (../shared/API.md), a FastAPI app mounted on the Reflex backend."""
