"""Edge Pruning from Python: find circuits in transformer language models.

A thin ctypes layer over libedgeprune (the C ABI in include/edgeprune.h); no third-party dependency.

    >>> from edgeprune import Model
    >>> with Model.open("xproportion.safetensors") as model:
    ...     circuit = model.prune(task="tracr", target_sparsity=0.92)
    >>> len(circuit.edges), circuit.metrics["kl"]

The library is found through the EDGEPRUNE_LIB environment variable, beside this package, or in the
checkout's .native/ folder (``dotnet pwsh build.ps1 native``).
"""

from __future__ import annotations

import ctypes
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

__all__ = ["ABI_VERSION", "Circuit", "Edge", "EdgePruneError", "Model", "live_handles", "library_path"]

ABI_VERSION = 1
"""The version of include/edgeprune.h this package was written against."""

_STATUS = {
    1: "invalid_argument", 2: "not_found", 3: "invalid_input", 4: "io", 5: "cancelled",
    6: "unsupported", 7: "out_of_memory", 8: "bad_handle", 9: "internal",
}

ProgressCallback = Callable[[Dict[str, Any]], Optional[bool]]
"""Receives each step's event; return True to stop the run (``EdgePruneError`` with code "cancelled")."""

_PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_char_p)


class EdgePruneError(Exception):
    """A call into libedgeprune failed; ``code`` is the status word (``not_found``, ``cancelled``, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = _STATUS.get(status, f"status_{status}")


def library_path() -> Path:
    """Where libedgeprune.so is loaded from."""
    env = os.environ.get("EDGEPRUNE_LIB")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "libedgeprune.so", here.parent.parent / ".native" / "libedgeprune.so"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("libedgeprune.so not found: set EDGEPRUNE_LIB or run `dotnet pwsh build.ps1 native`")


_lib: Optional[ctypes.CDLL] = None


def _native() -> ctypes.CDLL:
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(str(library_path()))
    p, i32, s = ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p
    out_p, out_s = ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)
    signatures = {
        "ep_version": ([], i32),
        "ep_last_error": ([], s),
        "ep_live_handles": ([], ctypes.c_int64),
        "ep_model_open": ([s, s, s, out_p], i32),
        "ep_model_close": ([p], i32),
        "ep_prune": ([p, s, _PROGRESS, p, out_p], i32),
        "ep_eval": ([p, p, s, out_s], i32),
        "ep_circuit_open": ([s, out_p], i32),
        "ep_circuit_json": ([p, out_s], i32),
        "ep_export": ([p, s, s], i32),
        "ep_circuit_free": ([p], i32),
        "ep_string_free": ([p], None),
    }
    for name, (args, result) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = result
    version = lib.ep_version()
    if version != ABI_VERSION:
        raise EdgePruneError(6, f"{library_path()} speaks ABI version {version}; this package needs {ABI_VERSION}")
    _lib = lib
    return lib


def _check(status: int) -> None:
    if status != 0:
        message = _native().ep_last_error()
        raise EdgePruneError(status, message.decode("utf-8") if message else f"status {status}")


def _take_string(pointer: ctypes.c_void_p) -> str:
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        _native().ep_string_free(pointer)


def _encode(text: Optional[Union[str, os.PathLike]]) -> Optional[bytes]:
    return None if text is None else os.fsencode(text) if isinstance(text, os.PathLike) else text.encode("utf-8")


def live_handles() -> int:
    """Models and circuits not yet closed plus strings not yet freed inside the library (0 when all released)."""
    return int(_native().ep_live_handles())


@dataclass(frozen=True)
class Edge:
    """One edge ``writer->reader`` (MIB names, e.g. ``m0->a1.h0<v>``) with its final mask value."""

    name: str
    mask: float
    kept: bool

    @property
    def writer(self) -> str:
        return self.name.split("->", 1)[0]

    @property
    def reader(self) -> str:
        return self.name.split("->", 1)[1]


@dataclass
class Circuit:
    """A circuit: the parsed circuit.json (``document``), its kept ``edges``, ``metrics`` and model shape."""

    document: Dict[str, Any]
    _handle: Optional[int] = field(default=None, repr=False)

    @property
    def edges(self) -> List[Edge]:
        """The kept edges, in graph order."""
        return [e for e in self.all_edges if e.kept]

    @property
    def all_edges(self) -> List[Edge]:
        """Every listed edge with its mask value, kept or not."""
        return [Edge(e["edge"], float(e["mask"]), bool(e["kept"])) for e in self.document["edges"]]

    @property
    def metrics(self) -> Dict[str, Optional[float]]:
        return dict(self.document.get("metrics") or {})

    @property
    def nodes(self) -> List[str]:
        return list(self.document.get("nodes") or [])

    @property
    def task(self) -> str:
        return self.document.get("task") or ""

    @property
    def total_edges(self) -> int:
        return int(self.document["total_edges"])

    @property
    def edge_sparsity(self) -> float:
        return 1.0 - len(self.edges) / self.total_edges if self.total_edges else 0.0

    @classmethod
    def open(cls, path: Union[str, os.PathLike]) -> "Circuit":
        """Reads a circuit.json written by ``edgeprune prune`` or :meth:`save`."""
        handle = ctypes.c_void_p()
        _check(_native().ep_circuit_open(_encode(path), ctypes.byref(handle)))
        return cls._adopt(handle)

    @classmethod
    def _adopt(cls, handle: ctypes.c_void_p) -> "Circuit":
        text = ctypes.c_void_p()
        try:
            _check(_native().ep_circuit_json(handle, ctypes.byref(text)))
            document = json.loads(_take_string(text))
        except BaseException:
            _native().ep_circuit_free(handle)
            raise
        return cls(document, handle.value)

    def _require_handle(self) -> int:
        if self._handle is None:
            raise EdgePruneError(8, "this circuit is closed")
        return self._handle

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes circuit.json."""
        self.export(path, "json")

    def export(self, path: Union[str, os.PathLike], format: str = "mib") -> None:
        """Writes the circuit as ``json`` (circuit.json), ``mib`` or ``dot``."""
        _check(_native().ep_export(self._require_handle(), format.encode(), _encode(path)))

    def to_mib(self) -> Dict[str, Any]:
        """The MIB benchmark's circuit JSON, as a dict."""
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "circuit.mib.json"
            self.export(target, "mib")
            return json.loads(target.read_text(encoding="utf-8"))

    def close(self) -> None:
        """Releases the library's copy; the parsed document stays readable."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            _check(_native().ep_circuit_free(handle))

    def __enter__(self) -> "Circuit":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if self._handle is not None and _lib is not None:
            _lib.ep_circuit_free(self._handle)
            self._handle = None


class Model:
    """A model opened by libedgeprune. Use :meth:`open`; close it (or use ``with``) to release it."""

    def __init__(self, handle: int, path: str) -> None:
        self._handle: Optional[int] = handle
        self.path = path

    @classmethod
    def open(cls, path: Union[str, os.PathLike], device: str = "cpu", dtype: Optional[str] = None) -> "Model":
        """Loads a model file or directory (HF, llama2.c .bin, minGPT or Tracr .safetensors).

        ``device`` is "cpu", "cuda", "cuda:N" or "auto" (a GPU for large models when one is usable); ``dtype`` is
        "float32", "bfloat16" (GPU only) or None (float32; bfloat16 on a GPU for models from 1 B parameters).
        The model's prune and eval runs compute on that device, which it holds until closed.
        """
        handle = ctypes.c_void_p()
        _check(_native().ep_model_open(_encode(path), device.encode(), None if dtype is None else dtype.encode(), ctypes.byref(handle)))
        return cls(handle.value, os.fspath(path))

    def _require_handle(self) -> int:
        if self._handle is None:
            raise EdgePruneError(8, "this model is closed")
        return self._handle

    def prune(self, task: str = "tracr", target_sparsity: Optional[float] = None, *,
              progress: Optional[ProgressCallback] = None, **options: Any) -> Circuit:
        """Finds a circuit with Edge Pruning.

        ``options`` take the names of ``edgeprune prune``'s options with underscores (``steps``, ``batch``,
        ``lr``, ``ablation``, ``seed``, ``out``, ...); those left out keep the task's recipe. ``progress``
        receives each step's event dict and may return True to cancel.
        """
        request: Dict[str, Any] = {"task": task, **options}
        if target_sparsity is not None:
            request["target_sparsity"] = target_sparsity
        failure: List[BaseException] = []

        def on_step(_user: Optional[int], event: bytes) -> int:
            try:
                return 1 if progress is not None and progress(json.loads(event)) else 0
            except BaseException as e:  # an exception cannot unwind through C: stop, then raise it here
                failure.append(e)
                return 1

        callback = _PROGRESS(on_step) if progress is not None else ctypes.cast(None, _PROGRESS)
        handle = ctypes.c_void_p()
        status = _native().ep_prune(self._require_handle(), json.dumps(request).encode(), callback, None, ctypes.byref(handle))
        if failure:
            raise failure[0]
        _check(status)
        return Circuit._adopt(handle)

    def eval(self, circuit: Circuit, split: str = "test", **options: Any) -> Dict[str, Optional[float]]:
        """KL to the full model and the task metrics of ``circuit`` on a split."""
        text = ctypes.c_void_p()
        request = json.dumps({"split": split, **options}).encode()
        _check(_native().ep_eval(self._require_handle(), circuit._require_handle(), request, ctypes.byref(text)))
        return json.loads(_take_string(text))

    def close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            _check(_native().ep_model_close(handle))

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if self._handle is not None and _lib is not None:
            _lib.ep_model_close(self._handle)
            self._handle = None
