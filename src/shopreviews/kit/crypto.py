"""Token generation, hashing, encryption of recoverable secrets, constant-time comparison."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import OrderedDict

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def new_shop_token() -> str:
    """Public and private shop tokens: base64 of 16 random bytes (24 characters)."""
    return base64.b64encode(secrets.token_bytes(16)).decode()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison for secrets."""
    return hmac.compare_digest(a.encode(), b.encode())


def derive_key(secret_key: str, label: str, length: int = 32) -> bytes:
    """A sub-key for one use (HKDF-SHA256 with a distinct label per use)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=f"shopreviews:{label}".encode()
    ).derive(secret_key.encode())


class SecretBox:
    """Encrypts secrets that must be recoverable (private tokens, client secrets)."""

    # Every signed request opens its shop's private token. A sealed value always opens to the
    # same plaintext (and a changed secret is a new sealed value), so opened values are kept
    # by their sealed form: the MAC check and AES run once per secret, not once per request.
    OPENED_KEPT = 4096

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "fernet")))
        self._opened: OrderedDict[str, str] = OrderedDict()

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, ciphertext: str) -> str:
        plaintext = self._opened.get(ciphertext)
        if plaintext is not None:
            self._opened.move_to_end(ciphertext)
            return plaintext
        try:
            plaintext = self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:  # a different server key: say so instead of a bare error
            raise RuntimeError(
                "a stored secret cannot be decrypted: SHOPREVIEWS_SECRET_KEY differs from the "
                "key it was encrypted with"
            ) from exc
        self._opened[ciphertext] = plaintext
        if len(self._opened) > self.OPENED_KEPT:
            self._opened.popitem(last=False)
        return plaintext
