"""This installation's local salt: the key of the embedded scorer's digests.

Hash scheme v1 digests identifiers with a salt. The scoring service hands out the network
salt; with no service configured, a local salt is made once per installation and kept in
the config folder, readable by the owner only. Its digests never leave the computer.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from shopguard.privacy.hashing import HASH_SCHEME, InvalidSalt, Salt

log = logging.getLogger(__name__)

LOCAL_SALT_FILE = "local-salt.json"


def local_salt(config_dir: Path) -> Salt:
    """This installation's local salt, made on first use (``config_dir/local-salt.json``).

    Created with owner-only permissions and without ever replacing a salt another process
    made at the same moment. An unreadable file is replaced by a new salt: the local index
    is then rebuilt (its salt fingerprint no longer matches), nothing else depends on it.
    """
    path = config_dir / LOCAL_SALT_FILE
    try:
        return _read_salt(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("The local salt file was unreadable (%s); making a new one", type(exc).__name__)
        path.unlink(missing_ok=True)
    config_dir.mkdir(parents=True, exist_ok=True)
    salt = Salt.generate()
    made = datetime.now(UTC).isoformat()
    body = {"hash_scheme": HASH_SCHEME, "salt": salt.hex, "created_at": made}
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(body, handle)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if another process was first: use theirs
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system
            if not path.exists():
                os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_salt(path)


def _read_salt(path: Path) -> Salt:
    data = json.loads(path.read_text(encoding="utf-8"))
    try:
        return Salt.from_hex(str(data["salt"]))
    except InvalidSalt as exc:
        raise ValueError("bad salt") from exc
