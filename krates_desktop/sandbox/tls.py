"""Throwaway TLS material: a per-run CA and a server certificate for 127.0.0.1 and
localhost, generated with `cryptography`, plus self-signed certificates for seed
Secrets.

The server asks for client certificates and accepts any signed by its CA, as
kube-apiserver's `--client-ca-file` does. Expiry is not checked during the
handshake but on every request (`auth.py`), so an expired certificate is a 401 a
client can react to, not a failed TLS handshake. :func:`issue_client_certificate`
mints one (CN: the user, O: the groups) with the CA key kept next to the CA."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class ServerTls:
    """Paths of the generated CA certificate, server certificate and key."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    ca_key_file: Path

    def server_context(self) -> ssl.SSLContext:
        """An SSLContext that serves the certificate and verifies client ones."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        context.load_verify_locations(cafile=self.ca_file)
        context.verify_mode = ssl.CERT_OPTIONAL
        context.verify_flags |= _NO_CHECK_TIME
        return context


# OpenSSL's X509_V_FLAG_NO_CHECK_TIME (not named by the ssl module): validity
# periods are checked per request instead.
_NO_CHECK_TIME = 0x200000


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Krates sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _validity(builder: x509.CertificateBuilder, days: int) -> x509.CertificateBuilder:
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    return builder.not_valid_before(start).not_valid_after(
        start + datetime.timedelta(days=days)
    )


def _ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("krates-sandbox-ca"))
        .issuer_name(_name("krates-sandbox-ca"))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public), critical=False
        )
    )
    return _validity(builder, 3650).sign(key, hashes.SHA256())


def _leaf(
    ca_key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    public = key.public_key()
    names = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
    ]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    return _validity(builder, 825).sign(ca_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def generate_server_tls(directory: Path) -> ServerTls:
    """Generate a CA and a 127.0.0.1/localhost certificate into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _leaf(ca_key, ca, key)
    tls = ServerTls(
        directory / "ca.crt",
        directory / "server.crt",
        directory / "server.key",
        directory / "ca.key",
    )
    tls.ca_file.write_bytes(_pem(ca))
    tls.cert_file.write_bytes(_pem(leaf) + _pem(ca))
    _write_private(tls.key_file, _key_pem(key))
    _write_private(tls.ca_key_file, _key_pem(ca_key))
    return tls


def issue_client_certificate(
    ca_file: Path,
    ca_key_file: Path,
    user: str,
    groups: tuple[str, ...] = (),
    seconds: float = 3600.0,
) -> tuple[str, str]:
    """A client certificate and key (PEM text) for `user` in `groups`, signed by the
    CA, valid from now for `seconds` (kube-apiserver reads CN as the user and each O
    as a group)."""
    ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=5))
        .not_valid_after(now + datetime.timedelta(seconds=seconds))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _pem(cert).decode(), _key_pem(key).decode()


def demo_certificate(common_name: str) -> tuple[str, str]:
    """A self-signed certificate and key (PEM text) for seed Secrets."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False
        )
    )
    cert = _validity(builder, 90).sign(key, hashes.SHA256())
    return _pem(cert).decode(), _key_pem(key).decode()
