"""Everything that leaves or enters the building: the email outbox and signed links (R4), instant
notifications (R9), inbound mail, outbound HTTP.

Modules: email_samples, fanout, ins, ins_admin, links, mail, mail_addresses, mail_in, outbound.
"""
