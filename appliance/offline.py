"""The air-gap: nothing this process does may reach a network.

`enforce_offline()` must run before transformers, huggingface_hub, datasets, bitsandbytes or presidio are
imported (the CLI calls it first thing). It
- sets the hub/transformers/datasets offline switches and turns telemetry off,
- makes bitsandbytes' optional `kernels` hub download impossible (it would fetch CPU kernels from the hub),
- points tldextract (used by Presidio's e-mail recognizer) at its bundled public-suffix snapshot instead of
  downloading the list on first use,
- optionally installs a socket guard that refuses any connection that is not loopback or a unix socket.
"""

from __future__ import annotations

import logging
import os
import socket
import sys

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "DO_NOT_TRACK": "1",
    "DISABLE_TELEMETRY": "1",
    "WANDB_DISABLED": "true",
    "WANDB_MODE": "disabled",
    "MLFLOW_TRACKING_URI": "",
    "TOKENIZERS_PARALLELISM": "false",
    "TLDEXTRACT_SUFFIX_LIST_URLS": "",
    # spaCy's model download shells out to pip: make any such child process fail fast instead of fetching.
    "PIP_NO_INDEX": "1",
    "SPACY_WARNING_IGNORE": "W095",
    # The appliance imports torchvision nowhere; keep transformers from probing optional backends online.
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}

_enforced = False


class NetworkBlocked(OSError):
    """Raised by the socket guard when code tries to reach a non-loopback address."""


def enforce_offline(guard_sockets: bool = True) -> None:
    """Put this process into offline mode. Idempotent."""
    global _enforced
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    # `None` in sys.modules makes `from kernels import get_kernel` raise ImportError at once, so
    # bitsandbytes falls back to its bundled CPU kernels instead of downloading one from the hub.
    sys.modules["kernels"] = None  # type: ignore[assignment]
    logging.getLogger("bitsandbytes.backends.cpu.ops").addFilter(_DropKernelsHubWarning())
    _pin_tldextract_snapshot()
    if guard_sockets:
        install_socket_guard()
    _enforced = True


def is_enforced() -> bool:
    return _enforced


class _DropKernelsHubWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "kernels-community" not in record.getMessage()


def _pin_tldextract_snapshot() -> None:
    """Replace tldextract's module-level extractor with one that never fetches the suffix list."""
    try:
        import tldextract.tldextract as tx
    except ImportError:  # presidio not installed in this environment
        return
    tx.TLD_EXTRACTOR = tx.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_getaddrinfo = socket.getaddrinfo


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host in _LOOPBACK_HOSTS or host.startswith("127.")
    return False


def _guarded_connect(sock: socket.socket, address: object) -> None:
    if sock.family != getattr(socket, "AF_UNIX", None) and not _is_local(address):
        raise NetworkBlocked(f"network access blocked by the appliance's air-gap guard: {address!r}")
    return _original_connect(sock, address)


def _guarded_connect_ex(sock: socket.socket, address: object) -> int:
    if sock.family != getattr(socket, "AF_UNIX", None) and not _is_local(address):
        raise NetworkBlocked(f"network access blocked by the appliance's air-gap guard: {address!r}")
    return _original_connect_ex(sock, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
    if host is not None and str(host) not in _LOOPBACK_HOSTS and not str(host).startswith("127."):
        raise NetworkBlocked(f"name resolution blocked by the appliance's air-gap guard: {host!r}")
    return _original_getaddrinfo(host, *args, **kwargs)


def install_socket_guard() -> None:
    """Refuse outbound connections and DNS look-ups in this process (loopback and unix sockets allowed)."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]


def offline_state() -> dict[str, object]:
    """What `doctor` and the TUI report about the air-gap."""
    return {
        "enforced": _enforced,
        "socket_guard": socket.socket.connect is _guarded_connect,
        "env": {
            k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
        },
    }
