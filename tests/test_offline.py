import socket

import pytest

from appliance.offline import NetworkBlocked, install_socket_guard


def test_outbound_socket_fails_the_test():
    """pytest-socket is active for every test: any outbound attempt raises."""
    import pytest_socket

    blocked = (pytest_socket.SocketBlockedError, pytest_socket.SocketConnectBlockedError, NetworkBlocked)
    with pytest.raises(blocked):  # pytest-socket, or the appliance's own guard if a CLI test installed it
        socket.create_connection(("203.0.113.1", 443), timeout=1)


def test_appliance_guard_blocks_connect_and_dns(monkeypatch):
    import appliance.offline as off

    monkeypatch.setattr(socket.socket, "connect", socket.socket.connect)
    monkeypatch.setattr(socket.socket, "connect_ex", socket.socket.connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)
    install_socket_guard()
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("huggingface.co", 443)
    s = socket.socket.__new__(socket.socket)
    with pytest.raises(NetworkBlocked):
        off._guarded_connect(s, ("203.0.113.1", 443))  # checked before any real socket call
    assert off._is_local(("127.0.0.1", 80)) and off._is_local("/tmp/sock")


def test_env_switches_set():
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert os.environ["HF_DATASETS_OFFLINE"] == "1"


def test_bitsandbytes_cannot_fetch_hub_kernels():
    with pytest.raises(ImportError):
        from kernels import get_kernel  # noqa: F401
    import bitsandbytes  # noqa: F401  (imports and registers CPU kernels offline)


def test_tldextract_uses_the_bundled_snapshot():
    """Presidio's e-mail recognizer calls tldextract.extract; with sockets blocked it must still work."""
    import tldextract

    res = tldextract.extract("clinic.example.co.uk")
    assert (res.domain, res.suffix) == ("example", "co.uk")


def test_huggingface_hub_is_offline():
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE
