"""Atomic file writes, and the guard that keeps ``data/raw/`` read-only."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from cma_research.core.errors import CMAError, ParameterError, shorten


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_small_file(path: str | Path, max_bytes: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` bytes, read with bounded work.

    The file is opened without blocking (a FIFO never hangs the reader) and checked
    after opening (no race between a check and the read): a folder raises
    :class:`IsADirectoryError`; a FIFO, device or socket (also through a symbolic link,
    e.g. to ``/dev/zero``) and a file larger than ``max_bytes`` raise
    :class:`ValueError` saying which. With ``follow_symlinks=False`` a symbolic link is
    refused (:class:`OSError`, ``ELOOP``). Other failures are the :class:`OSError` of
    the operating system.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "k").write_bytes(b"abc")
    ...     read_small_file(Path(d) / "k", 10)
    b'abc'
    >>> read_small_file("/dev/zero", 10)
    Traceback (most recent call last):
    ...
    ValueError: /dev/zero is not a regular file but a character device
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a file")
            raise ValueError(f"{path} is not a regular file but {kind}")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            block = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
        if size > max_bytes:
            raise ValueError(f"{path} is larger than {max_bytes:,} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


#: Largest JSON file :func:`read_json` reads (the build's records are kilobytes).
JSON_MAX_BYTES = 64 * 1024 * 1024


def read_json(
    path: str | Path,
    *,
    expect: type | None = None,
    max_bytes: int = JSON_MAX_BYTES,
    follow_symlinks: bool = True,
) -> Any:
    """A JSON file's value, read with bounded work; :class:`ValueError` when it is unusable.

    The file is read with :func:`read_small_file`; text that is not UTF-8 or not JSON,
    nesting too deep for the parser and, with ``expect``, a value of another type (a
    list where a mapping belongs) are all a :class:`ValueError` saying which, so a
    caller can discard the file with one warning. A missing or unreadable file is the
    :class:`OSError` of the operating system.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "a.json").write_text("[1, 2]")
    ...     read_json(Path(d) / "a.json")
    ...     read_json(Path(d) / "a.json", expect=dict)
    Traceback (most recent call last):
    ...
    ValueError: ...a.json holds a list, not a mapping
    """
    raw = read_small_file(path, max_bytes, follow_symlinks=follow_symlinks)
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON ({str(exc)[:80]})") from None
    if expect is not None and not isinstance(value, expect):
        names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a text"}
        raise ValueError(
            f"{path} holds {names.get(type(value), type(value).__name__)}, "
            f"not {names.get(expect, expect.__name__)}"
        )
    return value


def guard_not_raw(path: str | Path) -> Path:
    """Refuse any output path inside a ``data/raw`` folder (raw data is immutable)."""
    resolved = Path(path).resolve()
    parts = resolved.parts
    for i in range(len(parts) - 1):
        if parts[i] == "data" and parts[i + 1] == "raw":
            raise ParameterError(
                f"refusing to write {path}: data/raw/ holds the raw inputs and is never "
                "written; choose another output folder (e.g. data/processed)"
            )
    return resolved


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass(frozen=True)
class CopyFrom:
    """A file's content to write, copied in blocks from ``path`` (never held in memory whole).

    With ``sha256`` the copy must have exactly that SHA-256, or the write is abandoned
    with a :class:`ValueError` (a source changed or damaged since it was checked).
    """

    path: Path
    sha256: str | None = None


def _copy_into(fh: Any, source: CopyFrom) -> None:
    """Copy ``source`` into the open file ``fh`` in 1 MiB blocks, checking its hash."""
    digest = hashlib.sha256()
    with open(source.path, "rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            fh.write(block)
    if source.sha256 is not None and digest.hexdigest() != source.sha256:
        raise ValueError(f"{source.path} changed while it was copied (its SHA-256 differs)")


def _stage(target: Path, data: bytes | CopyFrom) -> str:
    """Write ``data`` (bytes, or a file to copy) to a temporary file beside ``target``;
    return its path.

    An operating-system failure (read-only folder, disk full) is raised as the same
    kind of :class:`OSError` naming ``target`` (not the hidden temporary name), and
    the temporary file is removed.
    """
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        _reraise_named(exc, target)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, CopyFrom):
                _copy_into(fh, data)
            else:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            _reraise_named(exc, target)
        raise
    return tmp


def _reraise_named(exc: OSError, target: Path) -> NoReturn:
    """Raise the same kind of OSError, naming ``target``."""
    if exc.errno is None or exc.filename == str(target):
        raise exc
    raise type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), str(target)) from exc


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    A reader never sees a half-written file: either the old file or the new one.
    """
    write_all_atomic({path: data})


def write_all_atomic(files: Mapping[str | Path, bytes | CopyFrom]) -> None:
    """Write several files all-or-nothing: every file is staged before any is renamed.

    A value is the file's bytes, or a :class:`CopyFrom` (a file copied in blocks, its
    hash checked as it is copied: a mismatch is a :class:`ValueError` and nothing is
    written).

    If staging any file fails (a target is a folder, the folder is read-only, the disk
    is full), no target is touched and the staged files are removed. If a rename fails
    part-way, the targets already replaced get their previous content back (kept as a
    hard link while renaming, where the file system allows one; files that did not
    exist are removed) and no temporary file is left behind. The error is an
    :class:`OSError` naming the target.
    """
    targets = [(guard_not_raw(path), data) for path, data in files.items()]
    for target, _ in targets:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))
    staged: list[tuple[str, Path]] = []
    try:
        for target, data in targets:
            staged.append((_stage(target, data), target))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    done: list[tuple[Path, str | None]] = []  # (target, backup of its old content)
    try:
        for tmp, target in staged:
            backup = _backup(target)
            try:
                os.replace(tmp, target)
            except BaseException:
                if backup is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(backup)
                raise
            done.append((target, backup))
    except BaseException as exc:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is None:
                    os.unlink(target)
                else:
                    os.replace(backup, target)
        if isinstance(exc, OSError) and exc.filename is None and len(done) < len(staged):
            _reraise_named(exc, staged[len(done)][1])
        raise
    for _, backup in done:
        if backup is not None:
            with contextlib.suppress(OSError):
                os.unlink(backup)


def _backup(target: Path) -> str | None:
    """A hard link to ``target``'s current content (None if it does not exist or cannot)."""
    if not target.is_file():
        return None
    name = f"{target.parent}/.{target.name}.{os.getpid()}.{id(target):x}.bak.tmp"
    try:
        os.link(target, name)
    except OSError:
        return None
    return name


# -- one writer at a time ------------------------------------------------------------
# The build and a batch of business reports write whole folders. One writer at a time
# holds the folder's lock; while it writes, the folder is marked, so a writer that was
# killed is detected (and its leftovers removed) by the next.

#: The lock file of an output folder (builds and batches of business reports take turns).
LOCK_NAME = ".build.lock"
#: The marker of an output folder being written; a killed writer leaves it behind.
IN_PROGRESS_NAME = ".build-in-progress"


def _open_own(path: Path, flags: int) -> int:
    """Open ``path`` for writing; a symbolic link there is removed first, never followed."""
    if path.is_symlink():
        path.unlink()
    return os.open(path, flags | os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)


@contextlib.contextmanager
def folder_lock(folder: Path, what: str = "build") -> Iterator[None]:
    """Hold ``folder``'s lock (:data:`LOCK_NAME`); a second writer refuses with one line.

    ``what`` names the writer in the message (``build``, ``batch of business reports``).

    Raises
    ------
    ReportBuildError
        Another writer holds the lock.
    """
    from cma_research.core.errors import ReportBuildError

    fd = _open_own(folder / LOCK_NAME, os.O_APPEND)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportBuildError(
                f"another {what} is writing to {folder.name}/ right now; wait for it to "
                "finish or choose another --output-dir"
            ) from None
        yield
    finally:
        os.close(fd)


def mark_in_progress(folder: Path, name: str = IN_PROGRESS_NAME) -> None:
    """Mark ``folder`` as being written: the file ``name`` (default :data:`IN_PROGRESS_NAME`,
    the build's), holding the process id. Each kind of writer has its own marker."""
    fd = _open_own(folder / name, os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(str(os.getpid()))


# -- file names derived from data ----------------------------------------------------
# Business ids and other data values become file names; they may look like paths
# ("../../x", "/tmp/x", "a/b"), hold NUL or be very long. Every such name goes through
# safe_filename, and every write under an output folder through ensure_inside.

#: Longest name :func:`safe_filename` returns (well under the usual 255-byte limit).
SAFE_NAME_MAX = 100
#: Names Windows reserves for devices, whatever the suffix.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10)]
)


def safe_filename(text: str) -> str:
    """A file name (without suffix) for a data value, safe to join to an output folder.

    Letters, digits, ``-`` and ``_`` are kept; runs of anything else become one ``_``.
    When that slug differs from ``text``, is empty or longer than the limit, a short
    SHA-256 of ``text`` is appended, so different values never share a name. The
    result never holds a path separator, is never ``.`` or ``..`` and has at most
    :data:`SAFE_NAME_MAX` characters.

    Examples
    --------
    >>> safe_filename("B04")
    'B04'
    >>> safe_filename("../../etc/passwd")
    'etc_passwd-3754d6cb3a'
    >>> safe_filename("")
    'id-e3b0c44298'
    """
    import hashlib
    import re

    text = str(text)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")
    if (
        slug == text
        and slug
        and len(slug) <= SAFE_NAME_MAX
        and slug[0] != "-"
        and slug.upper() not in _RESERVED
    ):
        return slug
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    slug = slug.lstrip("-")[: SAFE_NAME_MAX - len(digest) - 1] or "id"
    return f"{slug}-{digest}"


def ensure_inside(root: str | Path, path: str | Path) -> Path:
    """``path`` resolved (symbolic links included), refused unless it lies inside ``root``.

    Raises
    ------
    ParameterError
        When the resolved path is ``root`` itself or outside it (for example through
        ``..`` or a symbolic link inside ``root`` that points elsewhere).

    Examples
    --------
    >>> ensure_inside("reports", "reports/b/B04.html").name
    'B04.html'
    >>> ensure_inside("reports", "reports/../x.html")
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: refusing to write reports/../x.html: ...
    """
    base = Path(root).resolve()
    target = Path(path)
    if "\x00" in str(target):
        raise ParameterError(f"refusing to write {str(target)!r}: the name holds a NUL byte")
    resolved = target.resolve()
    if resolved == base or base not in resolved.parents:
        raise ParameterError(f"refusing to write {path}: it is outside the output folder {root}")
    return resolved


# -- YAML with bounded work ------------------------------------------------------------
# A parameters or instrument file is a few kB. A hostile one (an alias "billion laughs",
# /dev/zero, a huge or deeply nested file) must be refused in bounded time and memory.

#: Largest YAML file :func:`safe_load_yaml` reads, in bytes.
YAML_MAX_BYTES = 1_000_000
#: Most nodes a YAML document may expand to, counting each alias as a full copy.
YAML_MAX_NODES = 100_000


def safe_load_yaml(
    path: str | Path,
    *,
    max_bytes: int = YAML_MAX_BYTES,
    max_nodes: int = YAML_MAX_NODES,
    error: type[CMAError] = ParameterError,
) -> Any:
    """Read one YAML document safely: bounded size, bounded alias expansion, UTF-8.

    The file must be a regular file of at most ``max_bytes`` bytes, UTF-8 (a byte-order
    mark is fine) and one document whose tree, with every alias expanded, has at most
    ``max_nodes`` nodes (an alias bomb of a few hundred bytes expands to billions).
    Only plain YAML types are built (``yaml.SafeLoader``). A plain number that YAML 1.1
    reads unlike a person (``1_0`` as 10, ``1:20`` as 80, ``010`` as 8, ``0x1F`` as 31)
    is refused, naming its line, as such cells are refused in returns files.

    Parameters
    ----------
    path : str or Path
    max_bytes, max_nodes : int
        The limits described above.
    error : type of CMAError
        The exception raised for a refused file (default :class:`ParameterError`; the
        instrument reader passes :class:`InstrumentError`).

    Returns
    -------
    object
        The document (``None`` for an empty file).

    Raises
    ------
    CMAError
        Of type ``error``, one line naming the file and the problem.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "params.yaml"
    ...     _ = p.write_text("seed: 2007\\nstrategies: [complete_case]\\n")
    ...     safe_load_yaml(p)
    {'seed': 2007, 'strategies': ['complete_case']}
    """
    import yaml

    p = Path(path)
    try:
        if not p.exists():
            raise error(f"{path}: file not found")
        if not p.is_file():
            raise error(f"{path}: not a regular file (a folder or device); expected a YAML file")
        size = p.stat().st_size
        if size > max_bytes:
            raise error(
                f"{path}: {size:,} bytes is more than the {max_bytes:,} a YAML file may have"
            )
        with open(p, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > max_bytes:
        raise error(f"{path}: more than the {max_bytes:,} bytes a YAML file may have")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{path}: is not UTF-8 text (byte 0x{raw[exc.start]:02X} on line {line}); "
            "save it as UTF-8"
        ) from None
    # libyaml's loader when present (several times faster, and it bounds nesting itself);
    # the same safe constructors either way
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        n = _yaml_expanded_size(node, max_nodes)
        if n > max_nodes:
            raise error(
                f"{path}: expands to more than {max_nodes:,} values (through aliases "
                "'*name' or sheer size); write the values out plainly"
            )
        odd = _odd_number(node)
        if odd is not None:
            raise error(f"{path}: {odd}")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        if "maximum nesting depth" in detail:
            raise error(f"{path}: nested too deeply to be a parameters file") from None
        raise error(f"{path}: cannot be parsed as YAML ({detail})") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be a parameters file") from None
    finally:
        loader.dispose()


def _odd_number(root: Any) -> str | None:
    """The first plain scalar that YAML 1.1 reads as a number unlike a person would.

    ``1_0`` is read as 10, ``0_3`` as 3, ``1:20`` as 80 (base 60), ``010`` as 8
    (octal) and ``0x1F`` as 31: as cell values of returns files (levels, staff, waves)
    these are refused, so they are refused here too, naming the line.
    """
    import re

    import yaml

    numeric = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    plain = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9]+")
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            text = node.value
            ordinary = text.lower().lstrip("+-") in (".inf", ".nan") or plain.fullmatch(text)
            if node.tag in numeric and not node.style and not ordinary:  # plain: None or ""
                why = (
                    "YAML drops '_' in numbers"
                    if "_" in text
                    else "YAML reads a:b as a base-60 number"
                    if ":" in text
                    else "YAML reads 0x as hexadecimal"
                    if "x" in text.lower()
                    else "YAML reads a leading 0 as octal"
                )
                return (
                    f"line {node.start_mark.line + 1}: {shorten(text)!r} would be read "
                    f"as the number {yaml.safe_load(text)!r} ({why}); write the number "
                    f"in plain digits, or quote it ('{shorten(text)}') if it is text"
                )
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
    return None


def _yaml_expanded_size(root: Any, limit: int) -> int:
    """Nodes under ``root`` with aliases expanded, stopping once past ``limit``.

    A node reached through an alias is the same object as its anchor, so sizes are
    memoised by identity; a node that contains itself expands without end.
    """
    import yaml

    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in active:
            return limit + 1  # recursive alias: infinite expansion
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        active.discard(key)
        memo[key] = total
        return total

    return size(root)
