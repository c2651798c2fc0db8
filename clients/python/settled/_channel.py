"""Channel credentials, options and call metadata shared by both clients."""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

import grpc

#: PEM bytes, or the path of a PEM file.
PemSource = Union[bytes, str, "os.PathLike[str]"]
Metadata = Tuple[Tuple[str, str], ...]

DEFAULT_TARGET = "127.0.0.1:50051"

#: The channel retries connecting quickly (0.1 s doubling to 5 s) so that a
#: resumed stream finds a restarted server soon.
DEFAULT_OPTIONS: Tuple[Tuple[str, int], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 5000),
)


def auth_metadata(token: Optional[str]) -> Metadata:
    """``authorization: Bearer <token>`` when a token is given."""
    if not token:
        return ()
    return (("authorization", f"Bearer {token}"),)


def _pem(source: Optional[PemSource]) -> Optional[bytes]:
    if source is None or isinstance(source, bytes):
        return source
    with open(source, "rb") as f:
        return f.read()


def credentials(tls: bool, root_certificates: Optional[PemSource] = None,
                client_cert: Optional[PemSource] = None,
                client_key: Optional[PemSource] = None
                ) -> Optional[grpc.ChannelCredentials]:
    """TLS credentials, or None for plaintext. Giving any certificate or key
    implies TLS; a client certificate needs its key (and the other way)."""
    if (client_cert is None) != (client_key is None):
        raise ValueError("client_cert and client_key go together")
    if not (tls or root_certificates is not None or client_cert is not None):
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=_pem(root_certificates),
        private_key=_pem(client_key),
        certificate_chain=_pem(client_cert),
    )


def channel_options(extra: Optional[Sequence[Tuple[str, object]]] = None
                    ) -> List[Tuple[str, object]]:
    """DEFAULT_OPTIONS, overridden by ``extra``."""
    merged: Dict[str, object] = dict(DEFAULT_OPTIONS)
    merged.update(dict(extra or ()))
    return list(merged.items())
