"""Registers INS delivery (RULES R9) with the worker."""

from cbportal.services import ins
from cbportal.services.worker import DueSource, register

register(DueSource("ins", ins.next_due, ins.deliver_due))
