"""A throwaway self-signed certificate for the demo store's https mode.

Made with the ``cryptography`` package when it is installed (the test extra has it), else
with the ``openssl`` command. Clients trust it by passing its path as the CA bundle
(``requests``'s ``verify=cert_path``).
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


class CertificateError(RuntimeError):
    """No way to make a certificate on this computer."""


def _names(hosts: list[str]) -> tuple[list[str], list[str]]:
    dns, ips = ["localhost"], ["127.0.0.1", "::1"]
    for host in hosts:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host not in dns:
                dns.append(host)
        else:
            if host not in ips:
                ips.append(host)
    return dns, ips


def make_self_signed(directory: Path, hosts: list[str]) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` valid for localhost, 127.0.0.1 and ``hosts``."""
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    dns, ips = _names(hosts)
    try:
        _with_cryptography(cert_path, key_path, dns, ips)
    except ImportError:
        log.debug("cryptography is not installed; making the certificate with openssl")
        _with_openssl(cert_path, key_path, dns, ips)
    return cert_path, key_path


def _with_cryptography(cert_path: Path, key_path: Path, dns: list[str], ips: list[str]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    alt_names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _with_openssl(cert_path: Path, key_path: Path, dns: list[str], ips: list[str]) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError(
            "https mode needs the 'cryptography' package or the 'openssl' command"
        )
    alt = ",".join([f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips])
    command = [
        openssl,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=localhost",
        "-addext",
        f"subjectAltName={alt}",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-addext",
        "extendedKeyUsage=serverAuth",
        "-keyout",
        str(key_path),
        "-out",
        str(cert_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise CertificateError(f"openssl could not make a certificate: {result.stderr.strip()}")
