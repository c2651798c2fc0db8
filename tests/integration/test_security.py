"""Security end to end: bearer tokens, TLS, client certificates and the
refusal to listen beyond loopback in plaintext.

- --tokens-file: every settled.v1 call (unary and streaming) without a token,
  with a wrong one or without the "Bearer " scheme is UNAUTHENTICATED; each
  listed token works; health Check and reflection (grpcurl list/describe)
  need none; no token ever appears in the server's log (debug level);
- --tls-cert/--tls-key with a self-signed certificate made by openssl in the
  tmp dir: the Python client with root_certificates and grpcurl -cacert work,
  a plaintext client does not;
- --tls-client-ca: a client certificate signed by that CA is required (none,
  or one from another CA, fails);
- --listen 0.0.0.0:0 without TLS exits 2 with one "settled: " line; with
  --insecure, or with TLS, it serves.
"""

import json
import shutil
import subprocess
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import require_tool, scaled
from settled.client import Client
from settled.v1 import account_pb2, execution_pb2, pricing_pb2
from settled.v1 import account_pb2_grpc, execution_pb2_grpc, pricing_pb2_grpc

TOKENS = ["alpha-token-0123456789abcdef", "beta-token-fedcba9876543210"]
WRONG = "gamma-token-not-in-the-file-42"


def write_tokens(tmp: Path) -> Path:
    path = tmp / "tokens"
    path.write_text("# settled tokens\n" + "\n".join(TOKENS) + "\n")
    path.chmod(0o600)
    return path


def settled_calls(channel):
    """One callable per kind of settled.v1 RPC: (name, fn(metadata))."""
    ex = execution_pb2_grpc.ExecutorStub(channel)
    acc = account_pb2_grpc.AccountStub(channel)
    pr = pricing_pb2_grpc.PricingStub(channel)
    t = scaled(10)

    def stream_first(call):
        """Returns once the stream has started (its headers name where it
        starts) or sent an event; raises its error."""
        try:
            if any(k == "settled-start-after" for k, _ in call.initial_metadata() or ()):
                return
            for _ in call:
                break
        finally:
            call.cancel()

    return [
        ("GetAccount", lambda md: acc.GetAccount(account_pb2.GetAccountRequest(),
                                                 metadata=md, timeout=t)),
        ("ListPositions", lambda md: acc.ListPositions(account_pb2.ListPositionsRequest(),
                                                       metadata=md, timeout=t)),
        ("ListExecutions", lambda md: ex.ListExecutions(
            execution_pb2.ListExecutionsRequest(), metadata=md, timeout=t)),
        ("GetQuotes", lambda md: pr.GetQuotes(pricing_pb2.GetQuotesRequest(symbols=["AAPL"]),
                                              metadata=md, timeout=t)),
        ("ExecutePlan(dry_run)", lambda md: ex.ExecutePlan(
            execution_pb2.ExecutePlanRequest(
                plan={"plan_id": "sec-dry", "items": [
                    {"symbol": "AAPL", "action": "TRADE_ACTION_SELL",
                     "trade_amount": "-100", "current_weight": "0.1",
                     "target_weight": "0.09"}],
                    "total_trade_value": "100", "total_portfolio_value": "79400",
                    "max_drift_tolerance": "0.05"},
                dry_run=True), metadata=md, timeout=t)),
        ("SubscribeEvents", lambda md: stream_first(ex.SubscribeEvents(
            execution_pb2.SubscribeEventsRequest(from_oldest=True), metadata=md, timeout=t))),
        ("WatchExecution", lambda md: stream_first(ex.WatchExecution(
            execution_pb2.WatchExecutionRequest(plan_id="sec-dry"), metadata=md, timeout=t))),
    ]


def code_of(fn, md):
    try:
        fn(md)
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def test_tokens_required_on_settled_calls_but_not_health_or_reflection(launcher, tmp_path):
    tokens = write_tokens(tmp_path)
    server = launcher.start("--tokens-file", str(tokens), "--log-level", "debug")
    ch = server.channel()
    grpc.channel_ready_future(ch).result(timeout=scaled(10))
    calls = settled_calls(ch)

    bad = {
        "no token": (),
        "wrong token": (("authorization", f"Bearer {WRONG}"),),
        "no scheme": (("authorization", TOKENS[0]),),
        "basic scheme": (("authorization", f"Basic {TOKENS[0]}"),),
        "empty bearer": (("authorization", "Bearer "),),
        "token prefix": (("authorization", f"Bearer {TOKENS[0][:-1]}"),),
        "token suffix": (("authorization", f"Bearer {TOKENS[0]}x"),),
    }
    failures = []
    for what, md in bad.items():
        for name, fn in calls:
            code = code_of(fn, md)
            if code != grpc.StatusCode.UNAUTHENTICATED:
                failures.append(f"{name} with {what}: {code}")
    assert not failures, failures

    # Each token works. A dry run journals nothing, so watching its plan is
    # NOT_FOUND: past the authentication.
    for token in TOKENS:
        md = (("authorization", f"Bearer {token}"),)
        for name, fn in calls:
            expected = grpc.StatusCode.NOT_FOUND if name == "WatchExecution" \
                else grpc.StatusCode.OK
            assert code_of(fn, md) == expected, (name, token[:5])

    # The Python client with a token.
    with Client(server.address, token=TOKENS[1]) as client:
        assert client.account(timeout=scaled(10)).cash
    with Client(server.address) as client:
        with pytest.raises(grpc.RpcError) as err:
            client.account(timeout=scaled(10))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED

    # Health stays open.
    health = health_pb2_grpc.HealthStub(ch)
    for service in ("", "settled.v1.Executor"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service),
                             timeout=scaled(5))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service

    # Reflection stays open (grpcurl list / describe without a token); a
    # settled.v1 call through grpcurl needs the header.
    grpcurl = require_tool("grpcurl")
    out = subprocess.run([grpcurl, "-plaintext", server.address, "list"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode == 0, out.stderr
    assert "settled.v1.Executor" in out.stdout.split(), out.stdout
    out = subprocess.run([grpcurl, "-plaintext", server.address, "describe",
                          "settled.v1.Account"], capture_output=True, text=True,
                         timeout=scaled(30))
    assert out.returncode == 0 and "GetAccount" in out.stdout, out.stderr
    out = subprocess.run([grpcurl, "-plaintext", server.address,
                          "settled.v1.Account/GetAccount"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode != 0 and "Unauthenticated" in out.stderr, (out.stdout, out.stderr)
    out = subprocess.run([grpcurl, "-plaintext", "-H", f"authorization: Bearer {TOKENS[0]}",
                          server.address, "settled.v1.Account/GetAccount"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["cash"]

    # No token (nor the wrong one) in the log, whatever happened.
    server.stop()
    log = server.log() + server.stdout_path.read_text(errors="replace")
    assert log.strip(), "empty log"
    for secret in (*TOKENS, WRONG):
        for piece in (secret, secret[:-1], secret[6:]):
            assert piece not in log, f"a token shows in the server's log: {piece[:6]}..."


# ---------------------------------------------------------------- TLS

def openssl(*args: str, cwd: Path):
    tool = shutil.which("openssl")
    if tool is None:
        pytest.skip("openssl not installed")
    res = subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True,
                         timeout=scaled(60))
    assert res.returncode == 0, f"openssl {' '.join(args)}: {res.stderr}"


def self_signed(tmp: Path, name: str = "server") -> tuple:
    """A self-signed certificate for 127.0.0.1 / localhost: (cert, key)."""
    cert, key = tmp / f"{name}.pem", tmp / f"{name}.key"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
            "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", cwd=tmp)
    return cert, key


def ca_and_client(tmp: Path, name: str) -> tuple:
    """A CA and a client certificate it signed: (ca_cert, client_cert, client_key)."""
    ca_cert, ca_key = tmp / f"{name}-ca.pem", tmp / f"{name}-ca.key"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key),
            "-out", str(ca_cert), "-days", "2", "-subj", f"/CN={name} test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=tmp)
    key, csr, cert = tmp / f"{name}-client.key", tmp / f"{name}-client.csr", \
        tmp / f"{name}-client.pem"
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
            "-subj", f"/CN={name}-client", cwd=tmp)
    ext = tmp / f"{name}-client.ext"
    ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,"
                   "keyEncipherment\nextendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
            "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext), cwd=tmp)
    return ca_cert, cert, key


def fails_to_connect(channel_factory, what: str):
    ch = channel_factory()
    try:
        stub = account_pb2_grpc.AccountStub(ch)
        with pytest.raises(grpc.RpcError) as err:
            stub.GetAccount(account_pb2.GetAccountRequest(), timeout=scaled(3))
        assert err.value.code() in (grpc.StatusCode.UNAVAILABLE,
                                    grpc.StatusCode.DEADLINE_EXCEEDED,
                                    grpc.StatusCode.UNKNOWN,
                                    grpc.StatusCode.INTERNAL), (what, err.value)
    finally:
        ch.close()


def test_tls_with_a_self_signed_certificate(launcher, tmp_path):
    cert, key = self_signed(tmp_path)
    server = launcher.start("--tls-cert", str(cert), "--tls-key", str(key))

    with Client(server.address, root_certificates=str(cert)) as client:
        assert client.account(timeout=scaled(10)).cash
        assert client.positions(timeout=scaled(10))
    creds = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
    ch = grpc.secure_channel(server.address, creds)
    try:
        reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(),
                                                     timeout=scaled(10))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        ch.close()

    grpcurl = require_tool("grpcurl")
    out = subprocess.run([grpcurl, "-cacert", str(cert), server.address, "list"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode == 0, out.stderr
    assert "settled.v1.Executor" in out.stdout.split()
    out = subprocess.run([grpcurl, "-cacert", str(cert), server.address,
                          "settled.v1.Account/GetAccount"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["cash"]
    # grpcurl without the CA does not trust it.
    out = subprocess.run([grpcurl, server.address, "list"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode != 0

    # A plaintext client does not get through.
    fails_to_connect(lambda: grpc.insecure_channel(server.address), "plaintext")
    # Nor one that trusts another certificate.
    other, _ = self_signed(tmp_path, "other")
    fails_to_connect(lambda: grpc.secure_channel(
        server.address, grpc.ssl_channel_credentials(other.read_bytes())), "wrong CA")
    assert server.process.poll() is None, server.log()


def test_tls_client_certificates_required(launcher, tmp_path):
    cert, key = self_signed(tmp_path)
    ca, client_cert, client_key = ca_and_client(tmp_path, "good")
    _, rogue_cert, rogue_key = ca_and_client(tmp_path, "rogue")
    server = launcher.start("--tls-cert", str(cert), "--tls-key", str(key),
                            "--tls-client-ca", str(ca))

    with Client(server.address, root_certificates=str(cert), client_cert=str(client_cert),
                client_key=str(client_key)) as client:
        assert client.account(timeout=scaled(10)).cash

    fails_to_connect(lambda: grpc.secure_channel(
        server.address, grpc.ssl_channel_credentials(cert.read_bytes())), "no client cert")
    fails_to_connect(lambda: grpc.secure_channel(
        server.address, grpc.ssl_channel_credentials(
            cert.read_bytes(), rogue_key.read_bytes(), rogue_cert.read_bytes())),
        "client cert from another CA")
    fails_to_connect(lambda: grpc.insecure_channel(server.address), "plaintext")

    grpcurl = require_tool("grpcurl")
    out = subprocess.run([grpcurl, "-cacert", str(cert), "-cert", str(client_cert),
                          "-key", str(client_key), server.address,
                          "settled.v1.Account/GetAccount"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode == 0, out.stderr
    out = subprocess.run([grpcurl, "-cacert", str(cert), server.address,
                          "settled.v1.Account/GetAccount"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode != 0
    assert server.process.poll() is None, server.log()


# ---------------------------------------------------------------- beyond loopback

def test_wildcard_listen_needs_tls_or_insecure(launcher, tmp_path):
    refused = launcher.start(listen="0.0.0.0:0", wait_ready=False)
    assert refused.wait(scaled(10)) == 2, refused.log()
    lines = [ln for ln in refused.log().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("settled: "), lines
    assert not (refused.tmp / "ready").exists()

    open_ = launcher.start("--insecure", listen="0.0.0.0:0")
    with Client(f"127.0.0.1:{open_.port}") as client:
        assert client.account(timeout=scaled(10)).cash

    cert, key = self_signed(tmp_path)
    tls = launcher.start("--tls-cert", str(cert), "--tls-key", str(key), listen="0.0.0.0:0")
    with Client(f"127.0.0.1:{tls.port}", root_certificates=str(cert)) as client:
        assert client.account(timeout=scaled(10)).cash


@pytest.mark.parametrize("content", ["short-token\n", "# only a comment\n\n", None])
def test_unusable_tokens_file_exits_2_without_echoing_it(launcher, tmp_path, content):
    path = tmp_path / "tokens"
    if content is not None:
        path.write_text(content)
    server = launcher.start("--tokens-file", str(path), wait_ready=False)
    assert server.wait(scaled(10)) == 2, server.log()
    lines = [ln for ln in server.log().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("settled: "), lines
    assert "short-token" not in lines[0]
