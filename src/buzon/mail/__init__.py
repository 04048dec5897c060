"""Email: outbound (building the message, the outbox, sending, retries, the sandbox
mail server) and, later, inbound. See docs/outbound.md.

Outbound modules: `outbox` (a notification becomes an email and its deliveries),
`outbound` (building the RFC 5322 message), `addresses`, `verp` (signed return
paths), `relay` (SMTP client) and `esp` (django-anymail), `sending` (one batch of
deliveries), `worker` (claiming, leases, the loop), `sandbox` (the fake internet).
"""
