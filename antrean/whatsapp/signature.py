"""X-Hub-Signature-256: HMAC-SHA256 of the raw request body with the app secret."""

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str, secret: str) -> bool:
    """Constant-time comparison of the header with the body's signature."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())
