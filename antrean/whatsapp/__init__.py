"""The WhatsApp channel: Meta's Cloud API webhook in, a reliable outbox out.

Pure parts (no Django): `signature`, `payloads` (tolerant webhook parsing) and `messages`
(outbound messages, with every Cloud API limit checked in one place). The rest persists
updates, runs them through the conversation exactly once, and delivers replies.
"""
