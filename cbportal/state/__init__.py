"""Reflex state: thin classes that check the user, call one service and map results
into view rows. No rules and no SQL here."""
