"""Reading and writing gauge configurations (docs/formats.md).

* :func:`read_config` / :func:`write_config` -- any format, detected from the
  file's first bytes by :func:`detect_format` ('hdf5', 'nersc', 'ildg', 'milc');
  ``field, info = read_config(path)``.
* :func:`write_checkpoint` / :func:`read_checkpoint` -- HDF5 checkpoints with
  trajectory, RNG state, parameters and extra state, all checksummed.
* Format modules: :mod:`.nersc`, :mod:`.ildg` (on :mod:`.lime`), :mod:`.milc`,
  :mod:`.checkpoint`; atomic writes in :mod:`.atomic`.

Readers verify what the file states (checksums, plaquette, link trace) and
raise :class:`ChecksumError` on disagreement, :class:`FormatError` for files
they cannot read; writers are atomic and refuse to overwrite an existing file
unless ``overwrite=True``.
"""
from .atomic import atomic_open, atomic_path, atomic_write_bytes
from .checkpoint import Checkpoint, read_checkpoint, rng_from_state, write_checkpoint
from .detect import (FORMATS, WRITE_FORMATS, ChecksumError, ConfigFile, ConfigIOError,
                     FormatError, detect_format, read_config, write_config)
from .ildg import read_ildg, write_ildg
from .milc import read_milc, write_milc
from .nersc import read_nersc, write_nersc

__all__ = [
    "read_config", "write_config", "detect_format", "ConfigFile", "FORMATS", "WRITE_FORMATS",
    "Checkpoint", "write_checkpoint", "read_checkpoint", "rng_from_state",
    "ConfigIOError", "FormatError", "ChecksumError",
    "read_nersc", "write_nersc", "read_ildg", "write_ildg", "read_milc", "write_milc",
    "atomic_open", "atomic_path", "atomic_write_bytes",
]
