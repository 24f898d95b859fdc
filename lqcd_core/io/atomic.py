"""Atomic file writes: a reader never sees a half-written file.

Everything is written to a temporary file in the target's directory (same file
system, so the final rename is atomic), flushed and ``fsync``-ed, then moved
onto the target; finally the directory itself is ``fsync``-ed so the rename
survives a crash.  If anything fails the temporary file is removed and the
target is untouched.

An existing target is never replaced unless ``overwrite=True``; without it the
final step is a hard link (which fails atomically if the target appeared in the
meantime), falling back to a checked :func:`os.replace` on file systems without
hard links.

Three entry points:

* :func:`atomic_path` -- context manager yielding a temporary *path*, for
  libraries that open files by name (h5py);
* :func:`atomic_open` -- context manager yielding an open binary/text file;
* :func:`atomic_write_bytes` -- write a bytes object in one call.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_path", "atomic_open", "atomic_write_bytes", "check_writable"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path, overwrite: bool = False) -> Path:
    """Raise early (before any work) if ``path`` cannot be written.

    ``FileExistsError`` if it exists and ``overwrite`` is false,
    ``IsADirectoryError`` if it is a directory, ``FileNotFoundError`` if its
    directory does not exist.  Returns the path as a :class:`Path`.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a directory")
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"refusing to overwrite existing file {path} (pass overwrite=True to replace it)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: directory {parent} does not exist")
    return path


def _fsync_path(p: Path) -> None:
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on dirs
        pass
    finally:
        os.close(fd)


def _commit(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move the finished temporary file onto ``path``."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic "create only if absent"
    except FileExistsError:
        raise FileExistsError(
            f"refusing to overwrite existing file {path} (pass overwrite=True to replace it)"
        ) from None
    except OSError:  # no hard links on this file system: check, then rename
        if path.exists():
            raise FileExistsError(
                f"refusing to overwrite existing file {path} (pass overwrite=True to replace it)"
            ) from None
        os.replace(tmp, path)
    else:
        os.unlink(tmp)


@contextlib.contextmanager
def atomic_path(path, *, overwrite: bool = False):
    """Yield a temporary path next to ``path``; on success it becomes ``path``.

    The code inside the ``with`` block must create and *close* the file at the
    yielded path.  Example::

        with atomic_path("cfg.h5") as tmp:
            with h5py.File(tmp, "w") as f:
                ...
    """
    path = check_writable(path, overwrite)
    parent = path.parent if str(path.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    tmp = Path(name)
    # mkstemp creates mode 0600; give the result the usual permissions
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        _fsync_path(tmp)
        _commit(tmp, path, overwrite)
        _fsync_dir(parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb", *, overwrite: bool = False, **kwargs):
    """Open a temporary file for writing; on success it replaces ``path``.

    ``mode`` must be a write mode ('wb', 'w', ...).  The file is flushed and
    fsync-ed before it is renamed.
    """
    if not any(c in mode for c in "wx"):
        raise ValueError(f"atomic_open needs a write mode, got {mode!r}")
    mode = mode.replace("x", "w")
    with atomic_path(path, overwrite=overwrite) as tmp:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_bytes(path, data, *, overwrite: bool = False) -> Path:
    """Write ``data`` (bytes-like, or an iterable of bytes-like chunks) atomically."""
    with atomic_open(path, "wb", overwrite=overwrite) as fh:
        if isinstance(data, (bytes, bytearray, memoryview)):
            fh.write(data)
        else:
            for chunk in data:
                fh.write(chunk)
    return Path(path)
