"""One outbound POST (iris/outbound/client.py) against real local servers on 127.0.0.1: what reaches the receiver,
what never does, and how long a hostile or broken receiver can hold the call. No real DNS: names resolve through
injected stubs."""

import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from iris.outbound.client import post
from iris.outbound.signing import delivery_headers

BIG = 10 * 1024 * 1024
BODY = b'{"event":"ticket.created","ticket":{"id":7}}'
HEADERS = delivery_headers("s3cret", BODY, delivery_id="d-1", event="ticket.created", timestamp=1767225600)
FAST = {"connect_timeout_s": 0.5, "read_timeout_s": 1.0}


@dataclass
class Seen:
    path: str
    headers: dict
    body: bytes


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # a handler never waits on the client longer than this

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        route = self.path.split("?")[0]
        if route == "/big":
            return self._big()
        status, extra = {
            "/fail": (500, {"Retry-After": "30"}),
            "/busy": (429, {"Retry-After": formatdate(time.time() + 120, usegmt=True)}),
            "/moved": (302, {"Location": "/ok"}),
            "/gone": (410, {}),
        }.get(route, (204, {}))
        self.send_response(status)
        for name, value in {**extra, "Content-Length": "0"}.items():
            self.send_header(name, value)
        self.end_headers()

    def _big(self):
        self.send_response(200)
        self.send_header("Content-Length", str(BIG))
        self.end_headers()
        sent, chunk = 0, b"x" * 65536
        try:
            while sent < BIG:
                self.wfile.write(chunk)
                sent += len(chunk)
            self.server.big = ("complete", sent)
        except OSError:
            self.server.big = ("broken", sent)
        finally:
            self.server.big_done.set()


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext = None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen, self.connections, self.big, self.big_done = [], 0, None, threading.Event()
        self.tls = tls

    @property
    def port(self) -> int:
        return self.server_address[1]

    def get_request(self):
        sock, address = super().get_request()
        if self.tls:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def verify_request(self, request, client_address):
        self.connections += 1
        return True


def serving(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def receiver():
    server = Receiver()
    serving(server)
    yield server
    server.shutdown()
    server.server_close()


def deliver(url, allow_hosts=("127.0.0.1",), **kwargs):
    return post(url, BODY, HEADERS, allow_hosts=list(allow_hosts), **{**FAST, **kwargs})


def test_an_allow_listed_receiver_gets_the_exact_body_and_headers(receiver):
    outcome = deliver(f"http://127.0.0.1:{receiver.port}/hooks/in?team=ops#ignored")
    assert (outcome.status_code, outcome.delivered, outcome.retryable, outcome.error) == (204, True, False, None)
    assert 0 <= outcome.duration_ms < 1000
    [seen] = receiver.seen
    assert seen.path == "/hooks/in?team=ops"
    assert seen.body == BODY
    assert seen.headers["host"] == f"127.0.0.1:{receiver.port}"
    for name, value in HEADERS.items():
        assert seen.headers[name.lower()] == value
    assert seen.headers["content-length"] == str(len(BODY))


def test_a_name_is_sent_as_host_while_the_checked_address_is_connected_to(receiver, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def no_dns(host, *args, **kwargs):  # socket.create_connection passes even an address through getaddrinfo
        ipaddress.ip_address(host)  # ValueError: the client asked DNS about a name again
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    resolve = Resolver(["127.0.0.1"])
    outcome = deliver(f"http://Hooks.Internal:{receiver.port}/ok", ["hooks.internal"], resolve=resolve)
    assert outcome.delivered, outcome
    assert resolve.asked == ["hooks.internal"]
    assert receiver.seen[0].headers["host"] == f"hooks.internal:{receiver.port}"


def test_a_receiver_not_allow_listed_is_refused_without_any_connection(receiver):
    for url in (f"http://127.0.0.1:{receiver.port}/ok", f"http://localhost:{receiver.port}/ok"):
        outcome = deliver(url, allow_hosts=(), resolve=Resolver(["127.0.0.1"]))
        assert outcome.status_code is None and not outcome.delivered and not outcome.retryable
        assert outcome.error.startswith("refused: ") and "loopback" in outcome.error
    time.sleep(0.1)
    assert (receiver.connections, receiver.seen) == (0, [])


def test_a_500_or_a_429_is_retryable_after_what_retry_after_says(receiver):
    failed = deliver(f"http://127.0.0.1:{receiver.port}/fail")
    assert (failed.status_code, failed.retry_after_s, failed.delivered, failed.retryable) == (500, 30.0, False, True)
    busy = deliver(f"http://127.0.0.1:{receiver.port}/busy")
    assert (busy.status_code, busy.delivered, busy.retryable) == (429, False, True)
    assert 115 <= busy.retry_after_s <= 120
    gone = deliver(f"http://127.0.0.1:{receiver.port}/gone")
    assert (gone.status_code, gone.retry_after_s, gone.retryable) == (410, None, False)


def test_a_redirect_is_not_followed(receiver):
    outcome = deliver(f"http://127.0.0.1:{receiver.port}/moved")
    assert (outcome.status_code, outcome.delivered, outcome.retryable) == (302, False, False)
    assert "redirects are not followed" in outcome.error
    assert [seen.path for seen in receiver.seen] == ["/moved"]


def test_a_huge_answer_is_read_only_up_to_the_bound(receiver):
    started = time.monotonic()
    outcome = deliver(f"http://127.0.0.1:{receiver.port}/big", max_response_bytes=65536)
    elapsed = time.monotonic() - started
    assert (outcome.status_code, outcome.delivered) == (200, True)
    assert receiver.big_done.wait(5)
    state, sent = receiver.big
    assert state == "broken", f"the client read all {sent} bytes"  # it hung up with most of the answer unread
    assert sent < BIG
    assert elapsed < 1.0


def test_a_server_that_never_answers_times_out_after_the_read_timeout():
    with socket.create_server(("127.0.0.1", 0), backlog=5) as silent:  # the kernel accepts; nobody answers
        outcome = deliver(f"http://127.0.0.1:{silent.getsockname()[1]}/ok", read_timeout_s=1.0)
    assert outcome.status_code is None and outcome.retryable
    assert outcome.error.startswith("timeout: ")
    assert 900 <= outcome.duration_ms < 1600


def test_a_server_trickling_its_answer_is_cut_off_at_the_overall_deadline():
    trickler = Trickler()
    outcome = deliver(f"http://127.0.0.1:{trickler.port}/ok", connect_timeout_s=0.5, read_timeout_s=1.0)
    trickler.stop()
    assert outcome.status_code is None and outcome.retryable
    assert outcome.error.startswith("timeout: no complete answer"), outcome.error
    assert 1400 <= outcome.duration_ms < 2500  # connect + read timeout; each byte came well within the read timeout
    assert trickler.bytes_sent >= 5


def test_a_closed_port_is_a_retryable_connection_error():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    outcome = deliver(f"http://127.0.0.1:{port}/ok")
    assert (outcome.status_code, outcome.delivered, outcome.retryable) == (None, False, True)
    assert outcome.error.startswith("connect: 127.0.0.1")


def test_dns_rebinding_cannot_turn_a_checked_public_address_into_127_0_0_1(receiver, monkeypatch):
    """The name resolves to a public address when checked, and to 127.0.0.1 (where the receiver listens) on every
    later lookup. The client must connect to the checked address only. No packet leaves the machine: connections
    to anything but 127.0.0.1 are refused on the spot, as an unroutable address would be."""
    resolve = Resolver(["93.184.216.34"], then=["127.0.0.1"])
    dialled, real_connect = [], socket.create_connection

    def connect(address, *args, **kwargs):
        dialled.append(address)
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(111, "Connection refused (test: nothing leaves this machine)")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: resolve.lookup(host))
    outcome = deliver(f"http://hooks.example:{receiver.port}/ok", allow_hosts=(), resolve=resolve)
    assert outcome.error.startswith("connect: 93.184.216.34"), outcome.error
    assert outcome.retryable and not outcome.delivered
    assert dialled == [("93.184.216.34", receiver.port)]
    assert resolve.asked == ["hooks.example"]
    assert (receiver.connections, receiver.seen) == (0, [])


def test_each_checked_address_is_tried_in_turn_when_connecting_fails(receiver):
    # ::1 is not listening on the receiver's port (it is bound to 127.0.0.1 only): the first address fails.
    resolve = Resolver(["::1", "127.0.0.1"])
    outcome = deliver(f"http://both.internal:{receiver.port}/ok", ["both.internal"], resolve=resolve)
    assert outcome.delivered, outcome
    assert len(receiver.seen) == 1


class Resolver:
    """A DNS stand-in: `first` on the first lookup, `then` on any later one; remembers who asked."""

    def __init__(self, first, then=None):
        self.first, self.then, self.asked = first, then if then is not None else first, []

    def __call__(self, host, port):
        self.asked.append(host)
        return self.first if len(self.asked) == 1 else self.then

    def lookup(self, host):
        self.asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in self.then]


class Trickler:
    """Accepts one connection and sends a valid-looking answer one byte every 0.2 s, for up to 8 s."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.bytes_sent, self.stopped = 0, threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        conn, _ = self.server.accept()
        answer, ends = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000, time.monotonic() + 8
        with conn:
            for byte in answer:
                if self.stopped.wait(0.2) or time.monotonic() > ends:
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                self.bytes_sent += 1

    def stop(self):
        self.stopped.set()
        self.server.close()


def certificate(name: str, directory) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An https receiver on 127.0.0.1 whose (self-signed) certificate names hooks.internal, trusted by the client
    for this test only; it records the SNI name each client sent."""
    cert, key = certificate("hooks.internal", tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = Receiver(tls=context)
    server.sni = []
    context.sni_callback = lambda sock, name, ctx: server.sni.append(name)
    trusted = ssl.create_default_context(cafile=cert)
    monkeypatch.setattr(httpx._transports.default, "create_ssl_context", lambda **kwargs: trusted)
    serving(server)
    yield server
    server.shutdown()
    server.server_close()


def test_https_to_the_checked_address_uses_the_name_for_sni_and_the_certificate(tls_receiver):
    port = tls_receiver.port
    outcome = deliver(f"https://hooks.internal:{port}/ok", ["hooks.internal"], resolve=Resolver(["127.0.0.1"]))
    assert outcome.delivered, outcome
    assert tls_receiver.sni == ["hooks.internal"]
    assert tls_receiver.seen[0].headers["host"] == f"hooks.internal:{port}"


def test_https_refuses_a_certificate_for_another_name(tls_receiver):
    outcome = deliver(
        f"https://elsewhere.internal:{tls_receiver.port}/ok", ["elsewhere.internal"], resolve=Resolver(["127.0.0.1"])
    )
    assert not outcome.delivered and outcome.status_code is None
    assert outcome.error.startswith("connect: 127.0.0.1") and "certificate" in outcome.error.lower(), outcome.error
    assert tls_receiver.sni == ["elsewhere.internal"]
    assert tls_receiver.seen == []
