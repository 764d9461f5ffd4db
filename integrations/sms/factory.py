"""Which texter the worker uses: Twilio when an account is configured, files in development."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domain.ports import Texter
from integrations.sms.files import FileTexter
from integrations.sms.twilio import TwilioTexter, check_account_sid, check_sender


@dataclass(frozen=True)
class TwilioSettings:
    """A Twilio account and the sender its messages come from; ``repr`` never shows the token."""

    account_sid: str
    auth_token: str = field(repr=False)
    sender: str
    #: Twilio's API address (None: Twilio itself); tests and proxies name another.
    api_base: str | None = None

    @classmethod
    def parse(cls, account_sid: str | None, auth_token: str | None, sender: str | None,
              api_base: str | None = None) -> TwilioSettings | None:
        """None when no account is named; ``ValueError`` when one is named without all it needs."""
        if not (account_sid or "").strip():
            if (auth_token or "").strip() or (sender or "").strip():
                raise ValueError("ORDERGRAPH_TWILIO_ACCOUNT_SID is needed with ORDERGRAPH_TWILIO_AUTH_TOKEN and "
                                 "ORDERGRAPH_SMS_FROM")
            return None
        if not (auth_token or "").strip():
            raise ValueError("ORDERGRAPH_TWILIO_AUTH_TOKEN is needed with ORDERGRAPH_TWILIO_ACCOUNT_SID")
        if not (sender or "").strip():
            raise ValueError("ORDERGRAPH_SMS_FROM (the number, short code, sender ID or Messaging Service SID "
                             "messages come from) is needed with ORDERGRAPH_TWILIO_ACCOUNT_SID")
        try:
            return cls(check_account_sid(account_sid or ""), (auth_token or "").strip(), check_sender(sender or ""),
                       api_base)
        except ValueError as exc:
            raise ValueError(f"Twilio settings: {exc}") from None


def texter_from_settings(twilio: TwilioSettings | None, sms_dir: Path, status_callback: str | None = None) -> Texter:
    """A ``TwilioTexter`` for a configured account (reporting to ``status_callback``), else a ``FileTexter``
    writing to ``sms_dir``."""
    if twilio is not None:
        return TwilioTexter(twilio.account_sid, twilio.auth_token, twilio.sender, api_base=twilio.api_base,
                            status_callback=status_callback)
    return FileTexter(sms_dir)
