"""What Settings > Security shows about a session: a short device label and a network.

Neither is stored raw: the label keeps browser and system family only (no versions, no
device model), and the address is cut to its /24 (IPv4) or /48 (IPv6) network before it is
encrypted (docs/ARCHITECTURE.md "Sessions list").
"""

from __future__ import annotations

import ipaddress
import logging

from ua_parser import parse

from pazpaz.i18n import N_, _

log = logging.getLogger("pazpaz.devices")
UNKNOWN_DEVICE = N_("Unknown device")
# ua-parser's family names, shortened to what a person recognises.
_BROWSER_NAMES = {
    "Chrome Mobile": "Chrome", "Chrome Mobile iOS": "Chrome", "Chrome Mobile WebView": "Android WebView",
    "HeadlessChrome": "Chrome", "Mobile Safari": "Safari", "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox", "Firefox iOS": "Firefox", "Edge Mobile": "Edge",
}
_SYSTEM_NAMES = {"Mac OS X": "macOS"}


def device_label(user_agent: str | None) -> str:
    """'Chrome on Android', 'Safari on iOS', 'Firefox on Windows', or 'Unknown device'."""
    if not user_agent:
        return UNKNOWN_DEVICE
    try:
        result = parse(user_agent[:1000])
    except Exception as error:  # a parser failure must never stop a sign-in
        log.warning("user agent not parsed (%s)", type(error).__name__)
        return UNKNOWN_DEVICE
    browser = result.user_agent.family if result.user_agent else ""
    system = result.os.family if result.os else ""
    browser = _BROWSER_NAMES.get(browser, browser)
    system = _SYSTEM_NAMES.get(system, system)
    if browser in ("", "Other") and system in ("", "Other"):
        return UNKNOWN_DEVICE
    if system in ("", "Other"):
        return browser[:64]
    if browser in ("", "Other"):
        return system[:64]
    return f"{browser}{ON}{system}"[:64]


# Stored in English ("Chrome on Linux"); `shown()` puts it into the reader's words. Browser and
# system names from ua-parser never contain " on ".
ON = " on "


def shown(device: str, language: str) -> str:
    """A stored device name in the reader's language ("Chrome on Linux" -> "Chrome ב-Linux")."""
    if device == UNKNOWN_DEVICE:
        return _(language, UNKNOWN_DEVICE)
    browser, on, system = device.partition(ON)
    return _(language, "{browser} on {system}", browser=browser, system=system) if on else device


def approximate_ip(ip: str | None) -> str | None:
    """The network the address belongs to: enough to recognise "home" or "the clinic",
    not enough to point at one machine. None for anything that is not an address."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
