"""Encryption of the credentials the app stores: client secrets, tokens, webhook secrets.

Fernet, from ``cryptography``: AES-128-CBC with an HMAC-SHA256 over the whole token, so a
value encrypted under another key, or altered in the database, is refused instead of being
decrypted to garbage. ``ENCRYPTION_KEYS`` lists the keys newest first; the first encrypts
and every one decrypts (``MultiFernet``). A key is rotated by putting a new one in front,
running ``omnium_secrets reencrypt`` (every value moves under the new key), then removing
the old one (docs/operations.md#secrets-and-keys).

Nothing here ever puts a key, a value or a ciphertext in a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .conf import SETTINGS_NAME, app_settings
from .exceptions import ConfigurationError

KEYS_SETTING = f"{SETTINGS_NAME}['ENCRYPTION_KEYS']"
# Every Fernet token starts with its version byte 0x80 and a 64-bit timestamp whose top
# bytes are zero for the next 30,000 years: base64 "gAAAAA".
FERNET_PREFIX = "gAAAAA"


class EncryptionKeyError(ConfigurationError):
    """``ENCRYPTION_KEYS`` is missing or holds something that is not a Fernet key."""


class UnreadableSecret(ConfigurationError):
    """A stored value that none of the configured keys decrypts."""


def generate_key() -> str:
    """A new random Fernet key, as the text to put in ``ENCRYPTION_KEYS``."""
    return Fernet.generate_key().decode("ascii")


def key_problems(keys: object) -> list[str]:
    """What is wrong with a value of ``ENCRYPTION_KEYS`` (nothing: ``[]``). No key is quoted."""
    if isinstance(keys, str | bytes) or not isinstance(keys, Sequence):
        return [f"{KEYS_SETTING} must be a list of keys, newest first, not {type(keys).__name__}."]
    if not keys:
        return [f"{KEYS_SETTING} is empty: the app stores credentials encrypted and needs a key."]
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(
                f"Key {position} of {KEYS_SETTING} is not a Fernet key "
                "(32 random bytes, url-safe base64: 44 characters)."
            )
    if len(set(keys)) != len(keys):
        problems.append(f"{KEYS_SETTING} lists the same key twice.")
    return problems


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The configured keys, the first one encrypting; a clear error when they are unusable."""
    keys = app_settings.ENCRYPTION_KEYS
    problems = key_problems(keys)
    if problems:
        raise EncryptionKeyError(
            f"{problems[0]} Generate one with `manage.py omnium_secrets generate-key` "
            "(docs/operations.md#secrets-and-keys)."
        )
    return _multi_fernet(tuple(keys))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, what: str) -> str:
    """The clear text of ``token``; :class:`UnreadableSecret` naming ``what`` if no key fits."""
    multi = fernet()
    try:
        clear = multi.decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        clear = None
    # Raised outside the ``except`` so that nothing is chained to the error.
    if clear is None:
        raise UnreadableSecret(
            f"{what} could not be decrypted with any key in {KEYS_SETTING}: the key that "
            "encrypted it is missing, or the stored value is not one the app wrote."
        )
    return clear.decode("utf-8")


def is_under_newest_key(token: str) -> bool:
    """Whether the first key of ``ENCRYPTION_KEYS`` decrypts ``token``."""
    newest = Fernet(app_settings.ENCRYPTION_KEYS[0])
    try:
        newest.decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def looks_encrypted(value: str) -> bool:
    """Whether ``value`` has the shape of a Fernet token (not whether a key opens it)."""
    return value.startswith(FERNET_PREFIX)
