"""What happened to each email Buzón sent: per-recipient delivery status, failure
recording (the one code path every source uses), the failure tag, deliverability of
addresses and suppression. See docs/outbound.md.

Imports `tickets` and `rules.standard`; never imports `mail` (mail writes here).
"""
