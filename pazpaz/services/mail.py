"""Outgoing mail: SMTP when configured, otherwise .eml files in data/outbox/."""

from __future__ import annotations

import email.policy
import logging
import os
import smtplib
import ssl
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from pazpaz.settings import Settings, get_settings

log = logging.getLogger("pazpaz.mail")
DEFAULT_SENDER = "PazPaz <no-reply@localhost>"


def build_message(to: str, subject: str, text: str, sender: str) -> EmailMessage:
    # No quoted-printable: the sign-in link stays on one readable line, also in an .eml file.
    message = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="pazpaz.local")
    message.set_content(text, cte="8bit" if not text.isascii() else "7bit")
    return message


def _send_smtp(settings: Settings, message: EmailMessage) -> None:
    smtp = settings.smtp
    assert smtp is not None
    if smtp.tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=15, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=15)
    with client:
        if smtp.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(message)


def _write_outbox(outbox: Path, message: EmailMessage) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{uuid.uuid4().hex}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(bytes(message))
    return path


_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pazpaz-mail")
_OUTBOX_KEY = "pazpaz_outbox"


def send_after_commit(session: Session, to: str, subject: str, text: str) -> None:
    """Send once the transaction commits, off the request: a link is never mailed for a
    row that was rolled back, and the answer takes the same time whether or not a mail
    goes out (sign-in must not reveal which addresses have accounts)."""
    session.info.setdefault(_OUTBOX_KEY, []).append((to, subject, text))


@event.listens_for(Session, "after_commit")
def _deliver_queued(session: Session) -> None:
    for message in session.info.pop(_OUTBOX_KEY, []):
        _EXECUTOR.submit(_deliver, *message)


@event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    session.info.pop(_OUTBOX_KEY, None)


def _deliver(to: str, subject: str, text: str) -> None:
    try:
        send_mail(to, subject, text)
    except Exception as error:  # the type only: SMTP errors can carry the recipient's address
        log.warning("mail delivery failed (%s)", type(error).__name__)


def send_mail(to: str, subject: str, text: str) -> None:
    settings = get_settings()
    sender = settings.smtp.sender if settings.smtp else DEFAULT_SENDER
    message = build_message(to, subject, text, sender)
    if settings.smtp is not None:
        _send_smtp(settings, message)
        log.info("mail sent via SMTP (subject=%r)", subject)
        return
    path = _write_outbox(settings.outbox_dir, message)
    # Only the file path: the recipient and the link stay out of the log.
    log.warning("No SMTP configured: mail written to %s", path)


def rich_message(to: str, subject: str, text: str, html: str, sender: str, *,
                 attachments: list[tuple[str, str, bytes]] = (), message_id: str | None = None) -> EmailMessage:
    """Plain text + HTML alternative (+ attachments: file name, MIME type, bytes). A stable
    message_id lets mail stores drop a copy that a crashed sender sent twice."""
    message = build_message(to, subject, text, sender)
    if message_id:
        del message["Message-ID"]
        message["Message-ID"] = message_id
    message.add_alternative(html, subtype="html")
    for name, mime, data in attachments:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def sender_address(display_name: str = "") -> str:
    """The configured From address, with a practice's own display name when given."""
    from email.utils import formataddr, parseaddr

    settings = get_settings()
    configured = settings.smtp.sender if settings.smtp else DEFAULT_SENDER
    if not display_name.strip():
        return configured
    return formataddr((display_name.strip(), parseaddr(configured)[1]))


def deliver_now(message: EmailMessage) -> None:
    """Send synchronously (jobs: the caller commits its claim only after the server accepted)."""
    settings = get_settings()
    if settings.smtp is not None:
        _send_smtp(settings, message)
        return
    path = _write_outbox(settings.outbox_dir, message)
    log.warning("No SMTP configured: mail written to %s", path)


class Sender:
    """One SMTP connection for a job's mails, opened at the first send and closed (QUIT) on
    exit. A job marks its mail sent in a transaction that commits between `send` and the
    QUIT, so the moment where a crash would leave a delivered mail unmarked is as short as
    the server's reply (docs/ARCHITECTURE.md "Scheduled jobs" and "Reminders and the daily agenda")."""

    def __init__(self) -> None:
        self.settings = get_settings()
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> Sender:
        return self

    def send(self, message: EmailMessage) -> None:
        smtp = self.settings.smtp
        if smtp is None:
            path = _write_outbox(self.settings.outbox_dir, message)
            log.warning("No SMTP configured: mail written to %s", path)
            return
        if self.client is None:
            if smtp.tls == "ssl":
                self.client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=15,
                                               context=ssl.create_default_context())
            else:
                self.client = smtplib.SMTP(smtp.host, smtp.port, timeout=15)
            if smtp.tls == "starttls":
                self.client.starttls(context=ssl.create_default_context())
            if smtp.user:
                self.client.login(smtp.user, smtp.password)
        self.client.send_message(message)

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
