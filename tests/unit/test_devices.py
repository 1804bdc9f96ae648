"""What a session keeps about its device: a short label and a network, never more."""

from __future__ import annotations

import pytest

from pazpaz.services.devices import approximate_ip, device_label


@pytest.mark.parametrize(("agent", "label"), [
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
     "Mobile Safari/537.36", "Chrome on Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0", "Firefox on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
     "Safari/605.1.15", "Safari on macOS"),
    ("pytest", "Unknown device"),
    ("", "Unknown device"),
    (None, "Unknown device"),
    ("x" * 10_000, "Unknown device"),
])
def test_device_label(agent, label):
    assert device_label(agent) == label


@pytest.mark.parametrize(("ip", "network"), [
    ("203.0.113.77", "203.0.113.0/24"),
    ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
    ("::ffff:198.51.100.9", "198.51.100.0/24"),
    ("not an address", None),
    ("", None),
    (None, None),
])
def test_approximate_ip_keeps_only_the_network(ip, network):
    assert approximate_ip(ip) == network
