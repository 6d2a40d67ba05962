"""The file where ``--listen`` leaves its session secret for an adapter of the same user.

``~/<protocol.SECRET_DIR>/port-<PORT>.secret``.  The folder must be this user's and writable by
no one else (it is made 0700; a looser one of ours is tightened).  The file is always a new
one: made with ``O_CREAT|O_EXCL|O_NOFOLLOW`` and mode 0600, so a file or symlink already in
its place is never written through, followed, or reused with its mode.  A stale one of ours
(a runtime that died on this port: we hold the port now) is removed first; one that is not
ours is refused.  The file is removed when the runtime exits (`remove_all`, also at exit).
"""

from __future__ import annotations

import atexit
import os
import stat

from . import protocol

_created: list[str] = []


class SecretFileError(OSError):
    """The secret file cannot be made safely; the message says why."""


def secret_path(port: int) -> str:
    return os.path.join(os.path.expanduser("~"), *protocol.SECRET_DIR, f"port-{port}.secret")


def write_secret(port: int, secret: str) -> str:
    """Create the secret file for ``port`` (see the module's description); return its path."""
    path = secret_path(port)
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    st = os.lstat(folder)
    uid = os.getuid()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
        raise SecretFileError(f"{folder} is not a folder of this user: not writing the session secret there")
    if st.st_mode & 0o077:
        os.chmod(folder, 0o700)
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        old = None
    if old is not None:
        if old.st_uid != uid:
            raise SecretFileError(f"{path} exists and belongs to another user: not reusing it")
        os.unlink(path)  # a stale file (or symlink) of ours: the unlink never follows a link
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise SecretFileError(f"{path} appeared while it was being made: not writing the session secret") from None
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, secret.encode())
    finally:
        os.close(fd)
    if not _created:
        atexit.register(remove_all)
    _created.append(path)
    return path


def remove_all() -> None:
    """Remove the secret files this process made (at exit, and before ``os._exit``)."""
    while _created:
        path = _created.pop()
        try:
            os.unlink(path)
        except OSError:
            pass
