"""An OIDC issuer on 127.0.0.1 for the real-Kuadrant suite: discovery, a JWKS, and RS256 tokens.

The contract's Tenant names an external identity provider and its OIDC tokens are unsigned
placeholders; a real Authorino verifies signatures against the issuer's published keys, so the suite
serves an issuer here (OpenID Connect Discovery 1.0: `<issuer>/.well-known/openid-configuration`
naming `jwks_uri`) and signs each contract token's claims with its key. It serves the certificate it
is given, so Authorino reaches it only through the CA bundle it trusts.
"""

from __future__ import annotations

import base64
import http.server
import json
import ssl
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(number: int) -> str:
    return _b64(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class OidcIssuer:
    def __init__(self, cert_file: str, key_file: str, path: str = "/realms/maas", host: str = "127.0.0.1"):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "contract-key"
        self.requests: list = []
        owner = self
        public = self.key.public_key().public_numbers()
        jwks = {"keys": [{"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                          "n": _uint(public.n), "e": _uint(public.e)}]}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                owner.requests.append(self.path)
                if self.path == path + "/.well-known/openid-configuration":
                    self._send({"issuer": owner.url, "jwks_uri": owner.url + "/jwks",
                                "authorization_endpoint": owner.url + "/auth", "token_endpoint": owner.url + "/token",
                                "id_token_signing_alg_values_supported": ["RS256"]})
                elif self.path == path + "/jwks":
                    self._send(jwks)
                else:
                    self.send_error(404)

            def _send(self, answer):
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert_file), str(key_file))
        self.server = Server((host, 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.url = "https://%s:%d%s" % (host, self.server.server_address[1], path)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def token(self, claims: dict, lifetime: int = 3600) -> str:
        """A signed JWT carrying `claims`, valid from now for `lifetime` seconds."""
        now = int(time.time())
        body = dict({"iat": now, "exp": now + lifetime}, **claims)
        signing_input = "%s.%s" % (_b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.kid}).encode()),
                                   _b64(json.dumps(body).encode()))
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64(signature)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
