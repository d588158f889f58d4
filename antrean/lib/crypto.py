"""Encryption of personal data at rest, and keyed hashes for exact-match lookups.

Fernet (AES-128-CBC with HMAC-SHA256) through MultiFernet: the first key in
FIELD_ENCRYPTION_KEYS encrypts, every key decrypts, so keys rotate by putting a new one
first and re-encrypting at leisure (`rotate`, `antrean reencrypt`). Without configured
keys, both keys derive from SECRET_KEY with HKDF, under separate labels.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


def _derive(label: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"antrean {label}".encode()
    ).derive(settings.SECRET_KEY.encode())


@cache
def _keys() -> tuple[Fernet, ...]:
    keys = settings.FIELD_ENCRYPTION_KEYS or [
        base64.urlsafe_b64encode(_derive("field-encryption")).decode()
    ]
    return tuple(Fernet(key.encode()) for key in keys)


@cache
def _box() -> MultiFernet:
    return MultiFernet(_keys())


@cache
def _hash_key() -> bytes:
    configured = settings.FIELD_HASH_KEY
    return configured.encode() if configured else _derive("lookup-hash")


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting in {"FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY", "SECRET_KEY"}:
        _keys.cache_clear()
        _box.cache_clear()
        _hash_key.cache_clear()


def encrypt(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    return _box().decrypt(token.encode()).decode()


def encrypt_bytes(plain: bytes) -> bytes:
    return _box().encrypt(plain)


def decrypt_bytes(token: bytes) -> bytes:
    return _box().decrypt(token)


def rotate_bytes(token: bytes) -> bytes:
    """`token` re-encrypted with the first key (MultiFernet.rotate), or `token` itself when
    the first key already reads it, so a second pass writes nothing. Raises InvalidToken
    when no key reads it."""
    try:
        _keys()[0].decrypt(token)
    except InvalidToken:
        return _box().rotate(token)
    return token


def rotate(token: str) -> str:
    """The text form of `rotate_bytes`: equal to `token` when it is already current."""
    return rotate_bytes(token.encode()).decode()


def lookup_hash(value: str) -> str:
    """A keyed hash for finding a record by an exact value without storing the value."""
    return hmac.new(_hash_key(), value.encode(), hashlib.sha256).hexdigest()
