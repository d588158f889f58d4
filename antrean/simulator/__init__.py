"""The WhatsApp simulator (what `make demo` shows when there is no access token).

A page that looks like a phone chat posts real, signed Cloud API webhook payloads to our
own `/webhooks/whatsapp`, and a small stand-in for the Graph API receives the replies our
workers send. Everything in between is the production code path. It answers 404 unless
WHATSAPP_SIMULATOR is on (the default only while WHATSAPP_ACCESS_TOKEN is unset).
"""
