"""Where a webhook may point (iris/outbound/addresses.py): the SSRF guard's rules, without any real DNS."""

import pytest

from iris.outbound import addresses
from iris.outbound.addresses import Target, TargetRefused, TargetUnresolved, check_target, is_public

REFUSED = [
    "127.0.0.1",  # loopback
    "127.255.0.9",
    "10.0.0.1",  # private
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local: the cloud metadata service
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # unspecified: reaches the local host
    "224.0.0.1",  # multicast, which Python 3.11's is_global passes
    "239.255.255.250",
    "255.255.255.255",  # broadcast
    "240.0.0.1",  # reserved
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "fec0::1",  # deprecated site-local, which is_global passes
    "ff02::1",  # IPv6 multicast, which is_global passes
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",  # documentation
    "fe80::1%eth0",  # with a zone
    "not an address",
]
ALLOWED = [
    "93.184.216.34",
    "1.1.1.1",
    "8.8.8.8",
    "2606:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:93.184.216.34",  # IPv4-mapped public address: it reaches that public address
    "2002:5db8:d822::1",  # 6to4 around 93.184.216.34
    "64:ff9b::5db8:d822",  # NAT64 around 93.184.216.34
]


@pytest.mark.parametrize("address", REFUSED)
def test_a_non_public_address_is_refused(address):
    assert is_public(address) is False


@pytest.mark.parametrize("address", ALLOWED)
def test_a_public_address_is_allowed(address):
    assert is_public(address) is True


def never_resolve(host, port):
    raise AssertionError(f"{host} should not need resolving")


def resolves_to(*answers):
    asked = []

    def resolve(host, port):
        asked.append((host, port))
        return list(answers)

    resolve.asked = asked
    return resolve


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://example.com/hook", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://example.com/", "only http and https"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http://user@example.com/", "user name or password"),
        ("http:///hook", "no host"),
        ("https://", "no host"),
        ("example.com/hook", "only http and https"),
        ("http://example.com:99999/", "port"),
        ("http://example.com:0x50/", "port"),
        ("http://example.com:0/", "port"),
        ("http://example.com\\@127.0.0.1/", "backslashes"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com/\n", "control characters"),
        ("http://[not-v6]/", "IPv6"),
        ("http://example.com/" + "a" * 2000, "longer than 2000"),
    ],
)
def test_a_url_outside_the_rules_is_refused_before_any_lookup(url, reason):
    with pytest.raises(TargetRefused) as refused:
        check_target(url, allow_hosts=[], resolve=never_resolve)
    assert reason in str(refused.value)


def test_a_url_of_exactly_2000_characters_is_allowed():
    url = "http://example.com/"
    url += "a" * (2000 - len(url))
    assert check_target(url, [], resolve=resolves_to("93.184.216.34")).host == "example.com"


def test_a_public_name_gives_its_checked_addresses_and_the_default_port():
    resolve = resolves_to("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "93.184.216.34")
    target = check_target("HTTPS://Example.COM/hooks?x=1", [], resolve=resolve)
    assert target == Target(
        scheme="https", host="example.com", port=443, addresses=("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    )
    assert resolve.asked == [("example.com", 443)]
    assert check_target("http://example.com:8080/", [], resolve=resolve).port == 8080
    assert check_target("http://example.com/", [], resolve=resolve).port == 80


def test_an_address_literal_is_its_own_answer():
    target = check_target("http://[2606:4700::1111]:8443/h", [], resolve=never_resolve)
    assert (target.host, target.port, target.addresses) == ("2606:4700::1111", 8443, ("2606:4700::1111",))


def test_a_name_resolving_to_a_private_address_is_refused():
    with pytest.raises(TargetRefused, match=r"resolves to a private address \(10\.0\.0\.1\)"):
        check_target("https://hooks.example.com/", [], resolve=resolves_to("10.0.0.1"))


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(TargetRefused, match="169.254.169.254"):
        check_target("https://hooks.example.com/", [], resolve=resolves_to("93.184.216.34", "169.254.169.254"))


def test_a_name_that_does_not_resolve_is_refused_as_unresolved(monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(addresses.socket, "getaddrinfo", fail)
    with pytest.raises(TargetUnresolved, match="does not resolve"):
        check_target("https://nowhere.invalid/", [])
    with pytest.raises(TargetUnresolved, match="does not resolve"):
        check_target("https://nowhere.invalid/", [], resolve=resolves_to())


def test_the_default_resolver_uses_getaddrinfo(monkeypatch):
    answers = [(2, 1, 6, "", ("10.1.2.3", 443))]
    monkeypatch.setattr(addresses.socket, "getaddrinfo", lambda host, port, **kw: answers)
    with pytest.raises(TargetRefused, match=r"10\.1\.2\.3"):
        check_target("https://internal.example/", [])


def test_localhost_is_refused_unless_allow_listed():
    resolve = resolves_to("127.0.0.1", "::1")
    with pytest.raises(TargetRefused, match="loopback"):
        check_target("http://localhost:8080/hook", [], resolve=resolve)
    assert check_target("http://localhost:8080/hook", ["localhost"], resolve=resolve).addresses == ("127.0.0.1", "::1")


def test_the_allow_list_opens_exactly_the_named_host():
    resolve = resolves_to("10.0.0.7")
    allowed = ["Hooks.Internal", "127.0.0.1"]
    assert check_target("http://hooks.internal/", allowed, resolve=resolve).addresses == ("10.0.0.7",)
    assert check_target("http://HOOKS.internal/", allowed, resolve=resolve).host == "hooks.internal"
    assert check_target("http://127.0.0.1:9000/", allowed).addresses == ("127.0.0.1",)
    for other in ("http://other.internal/", "http://hooks.internal.evil.example/", "http://internal/"):
        with pytest.raises(TargetRefused):
            check_target(other, allowed, resolve=resolve)
    with pytest.raises(TargetRefused):  # the same machine under another spelling is not the named host
        check_target("http://127.0.0.2/", allowed)
    with pytest.raises(TargetRefused):
        check_target("http://[::1]/", allowed)


@pytest.mark.parametrize("written", ["[::1]", "::1"])
def test_the_allow_list_names_ipv6_hosts_with_or_without_brackets(written):
    assert check_target("http://[::1]:8080/", [written], resolve=never_resolve).addresses == ("::1",)
    with pytest.raises(TargetRefused):
        check_target("http://[fd00::1]/", [written], resolve=never_resolve)
