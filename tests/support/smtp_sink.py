"""A real SMTP server (aiosmtpd) that keeps every message for the tests to read."""

from __future__ import annotations

import email
import re
import threading
import time
from email.message import Message

from aiosmtpd.controller import Controller

from tests.support.ports import free_port

LINK_RE = re.compile(r"(https?://\S+/auth/continue\?token=[A-Za-z0-9_\-]+)")
INVITATION_RE = re.compile(r"(https?://\S+/auth/invitation\?token=[A-Za-z0-9_\-]+)")


class _Handler:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


class SmtpSink:
    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for_invitation(self, address: str, after: int = 0, timeout: float = 20.0) -> str:
        return self.wait_for_link(address, after, timeout, INVITATION_RE)

    def messages_to(self, address: str) -> list[Message]:
        with self.handler.lock:
            return [m for m in self.handler.messages if m["To"].strip().lower() == address.lower()]

    def wait_for_link(self, address: str, after: int = 0, timeout: float = 20.0,
                      pattern: re.Pattern[str] = LINK_RE) -> str:
        """The sign-in link (or another `pattern`'s link) of the (after+1)-th message to an address."""
        assert after >= 0, "count the messages before the action that sends one"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_to(address)
            if len(found) > after:
                body = found[after].get_payload(decode=True).decode()
                match = pattern.search(body)
                assert match, "the email carries no sign-in link"
                return match.group(1)
            time.sleep(0.1)
        raise AssertionError(f"no email reached the sink within {timeout} s")
