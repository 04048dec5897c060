"""The REST API under /api/v2/: Zendesk's Support API shapes for what Buzón has.

A plain-Django API. Every endpoint is a function registered with `router.api` with
its typed request and response declarations (TypedDicts in `buzon.api.types`); the
same declarations validate request bodies and generate the OpenAPI schema served
at /api/v2/openapi.json. See docs/api.md.
"""
