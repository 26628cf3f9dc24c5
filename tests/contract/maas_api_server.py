"""maas-api's two internal endpoints over HTTPS on 127.0.0.1: a stand-in for the real-Kuadrant suite.

No registry serves maas-api, so this is a stand-in shaped after the upstream contract (the reference
notes on `POST /internal/v1/api-keys/validate` and `POST /internal/v1/subscriptions/select`, both
answering HTTP 200 with the outcome in the JSON body); the answers are the pure functions of
tests/contract/maas_api.py over one scenario's resources and API keys. It serves the certificate
it is given (the suite issues it with modelserving.maas.tls_certificate) and records every request,
so a test can tell "Authorino asked and was answered" from "Authorino never got through TLS".
"""

from __future__ import annotations

import http.server
import json
import ssl
import threading

import maas_api

VALIDATE = "/internal/v1/api-keys/validate"
SELECT = "/internal/v1/subscriptions/select"


class MaasApiServer:
    """Serves one scenario until `stop()`; `requests` lists (path, body) in arrival order."""

    def __init__(self, cert_file: str, key_file: str, resources: list, api_keys: dict, host: str = "127.0.0.1"):
        self.requests: list = []
        self.tls_failures = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = None
                owner.requests.append((self.path, body))
                if self.path == VALIDATE and isinstance(body, dict):
                    answer = maas_api.validate_key(api_keys, body)
                elif self.path == SELECT and isinstance(body, dict):
                    answer = maas_api.select_subscription(resources, body)
                else:
                    self._send(404, {"error": "not_found", "message": "no such endpoint %s" % self.path})
                    return
                self._send(200, answer)

            def _send(self, code, answer):
                payload = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                owner.tls_failures += 1  # a client that refused our certificate ends up here

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert_file), str(key_file))
        self.server = Server((host, 0), Handler, bind_and_activate=True)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        self.url = "https://%s:%d" % (host, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def calls(self, path: str) -> list:
        return [body for p, body in self.requests if p == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
