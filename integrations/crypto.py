"""Encryption of stored integration secrets.

Key = urlsafe-base64(SHA-256(SECRET_KEY)), the derivation OpenAEC uses, so its ciphertexts
decrypt here. SECRET_KEY_FALLBACKS keep ciphertexts made with older keys readable.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class UndecryptableSecret(Exception):
    """No configured key opens the stored ciphertext: the user must enter the secret again."""

    def __init__(self) -> None:
        super().__init__("The stored secret cannot be decrypted with any configured key.")


def derive_fernet_key(secret_key: str) -> bytes:
    """Fernet key for a Django SECRET_KEY, as OpenAEC derives it."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode("utf-8")).digest())


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([Fernet(derive_fernet_key(key)) for key in keys])


def encrypt_secret(plaintext: str) -> str:
    """Encrypt with the current key."""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str) -> str:
    """Decrypt with the current key or any fallback; raise UndecryptableSecret otherwise."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError, TypeError) as exc:
        raise UndecryptableSecret() from exc


def rotate_secret(token: str) -> str:
    """Re-encrypt a ciphertext with the current key (raises UndecryptableSecret)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError, ValueError, TypeError) as exc:
        raise UndecryptableSecret() from exc
