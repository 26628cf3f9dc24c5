# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Keys and X.509 certificates: reading what a certificate says, and building keys and certificates.

Nothing here knows about Kubernetes or about when to issue; `certs.py` decides that. Issuing is the
only randomness (keys, serial numbers). Private keys leave this file only as PEM text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import ipaddress
import traceback

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

UTC = datetime.timezone.utc
KEY_TYPES = ("ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096")
# Certificates start slightly in the past so that a peer whose clock is a little behind accepts them.
BACKDATE = datetime.timedelta(minutes=5)


# ---------------------------------------------------------------------------------------------
# reading a certificate


def load_certificate(pem):
    """The first certificate in a PEM text, or None when there is none or it does not parse."""
    if not pem:
        return None
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError):
        return None


def load_key(pem):
    """An unencrypted private key from PEM text, or None."""
    if not pem:
        return None
    try:
        return serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        return None


def not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=UTC)


def not_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=UTC)


def fingerprint(cert):
    """SHA-256 of the DER certificate, as `openssl x509 -fingerprint -sha256` prints it."""
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def common_name(cert):
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else None


def subject_alt_names(cert):
    """(DNS names, IP addresses as strings) of a certificate, in the order it lists them."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return san.get_values_for_type(x509.DNSName), [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def key_type(public_key):
    """`ecdsa-p256`, `rsa-2048`, ... for a public key; its class name for anything else."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "ecdsa-p%d" % public_key.curve.key_size
    if isinstance(public_key, rsa.RSAPublicKey):
        return "rsa-%d" % public_key.key_size
    return type(public_key).__name__


def keys_match(cert, key):
    der = serialization.Encoding.DER
    info = serialization.PublicFormat.SubjectPublicKeyInfo
    return cert.public_key().public_bytes(der, info) == key.public_key().public_bytes(der, info)


def issued_by(cert, ca_cert):
    """Whether `ca_cert` signed `cert` (issuer name and signature both checked)."""
    if cert.issuer != ca_cert.subject:
        return False
    public_key = ca_cert.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                              cert.signature_hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def summary(cert):
    """What results may show about a certificate: names, dates, fingerprint. Never key material."""
    dns, ips = subject_alt_names(cert)
    return {
        "common_name": common_name(cert),
        "dns_names": dns,
        "ip_addresses": ips,
        "not_before": not_before(cert).isoformat(),
        "not_after": not_after(cert).isoformat(),
        "sha256_fingerprint": fingerprint(cert),
        "serial_number": format(cert.serial_number, "x"),
    }

# ---------------------------------------------------------------------------------------------
# the names a leaf certificate carries


def normalized_ips(values):
    return [str(ipaddress.ip_address(str(v).strip())) for v in values or []]


def wanted_names(spec):
    """(common name, DNS names, IP addresses) a leaf spec asks for. The common name defaults to the
    first DNS name; a lone common name becomes the only DNS name (clients read only SANs)."""
    dns = []
    for name in spec.get("dns_names") or []:
        name = name.strip().lower()
        if name and name not in dns:
            dns.append(name)
    cn = spec.get("common_name") or (dns[0] if dns else None)
    if cn and not dns and not spec.get("ip_addresses"):
        dns = [cn.lower()]
    return cn, dns, normalized_ips(spec.get("ip_addresses"))


# ---------------------------------------------------------------------------------------------
# issuing


def new_private_key(kind):
    if kind.startswith("ecdsa-p"):
        return ec.generate_private_key(ec.SECP256R1() if kind == "ecdsa-p256" else ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(kind.split("-")[1]))


def issue_ca(key, spec, now):
    """A self-signed CA certificate for `key`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec["common_name"])])
    start = now - BACKDATE
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=spec["validity_days"]))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(key, hashes.SHA256()))


def issue_leaf(key, spec, ca_cert, ca_key, now):
    """A server certificate for `key` with the spec's names, signed by the CA, never outliving it."""
    cn, dns, ips = wanted_names(spec)
    end = min(now + datetime.timedelta(days=spec["validity_days"]), not_after(ca_cert))
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
    rsa_key = isinstance(key, rsa.RSAPrivateKey)
    try:
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value)
    except x509.ExtensionNotFound:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=rsa_key,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(aki, critical=False)
            .sign(ca_key, hashes.SHA256()))


def certificate_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def private_key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")
