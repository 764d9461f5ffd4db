"""Loopback helpers the fakes and the tests share: a free port, a self-signed certificate."""

from __future__ import annotations

import ipaddress
import os
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


# A port the kernel picks (bind to 0) comes from its ephemeral range, where every outgoing connection also takes
# its local port; and `make test` runs the SQLite and PostgreSQL suites at once. Between the probe closing and a
# server binding, such a port could go to the other run's server or to any client socket (CI failed so once:
# "address already in use"). So ports come from below the ephemeral range, from a band of each engine's own,
# in turn, so that one process never hands out a port twice until its band wraps.
_BANDS = {"sqlite": (20000, 26000), "postgres": (26000, 32000)}


def _ports() -> Iterator[int]:
    low, high = _BANDS.get(os.environ.get("ORDERGRAPH_TEST_ENGINE", "sqlite"), _BANDS["sqlite"])
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    if ephemeral_low < high:  # a machine whose ephemeral range covers our bands: let the kernel choose
        while True:
            yield 0
    start = random.randrange(low, high)
    while True:
        yield from range(start, high)
        yield from range(low, start)


_candidates = _ports()


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1, outside the ephemeral range and this engine run's own."""
    for candidate in _candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise AssertionError("unreachable: the candidates never end")


def self_signed(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A self-signed CA certificate for ``name`` (and 127.0.0.1) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
