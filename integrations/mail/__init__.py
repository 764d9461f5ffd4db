"""Email: rendering the messages, building MIME, and the SMTP and file mailers."""

from integrations.mail.factory import mailer_from_settings
from integrations.mail.files import FileMailer, MailboxEntry, list_messages, read_message
from integrations.mail.message import build_message, new_message_id, sender_address
from integrations.mail.render import RenderedEmail, render, render_sms
from integrations.mail.smtp import SmtpConfig, SmtpMailer, parse_smtp_url

__all__ = [
    "FileMailer",
    "MailboxEntry",
    "RenderedEmail",
    "SmtpConfig",
    "SmtpMailer",
    "build_message",
    "list_messages",
    "mailer_from_settings",
    "new_message_id",
    "parse_smtp_url",
    "read_message",
    "render",
    "render_sms",
    "sender_address",
]
