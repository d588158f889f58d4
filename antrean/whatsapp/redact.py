"""A webhook body with what identifies a person taken out, for the log.

Meta's payloads name people everywhere (`wa_id`, `from`, `recipient_id`, profile names,
message texts, captions, locations, shared contacts, order items), and new fields appear
without notice. So this keeps by allowlist: the shape of the body, every key, and the
values of the keys below, which say what happened without saying to whom. Every other
string becomes `<n chars>` and every other number `<number>`, so a log line still shows
where something unexpected was, and never what it said.
"""

# Values that describe the event, not the person. Message ids (`id`) stay: they tie a log
# line to our own rows, and they are random. `display_phone_number` and `phone_number_id`
# are the office's business number, not an applicant's.
KEPT = frozenset(
    {
        "object",
        "field",
        "messaging_product",
        "type",
        "status",
        "timestamp",
        "id",
        "phone_number_id",
        "display_phone_number",
        "mime_type",
        "code",
        "title",
        "category",
        "pricing_model",
        "billable",
        "expiration_timestamp",
        "event",
        "message_template_id",
        "message_template_name",
        "message_template_language",
        "forwarded",
        "frequently_forwarded",
        "voice",
        "animated",
    }
)

DEPTH = 32  # deeper than any body Meta sends; beyond it only "…" is shown


def redact(value, key: str | None = None, depth: int = 0):
    """A copy of a parsed JSON value that is safe to log."""
    if depth > DEPTH:
        return "…"
    if isinstance(value, dict):
        return {str(k)[:64]: redact(v, str(k), depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key, depth + 1) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if key in KEPT:
        return value if not isinstance(value, str) else value[:128]
    if isinstance(value, str):
        return f"<{len(value)} chars>"
    return "<number>"
