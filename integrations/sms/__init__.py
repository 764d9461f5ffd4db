"""Text messages: Twilio, and the development folder."""

from integrations.sms.factory import TwilioSettings, texter_from_settings
from integrations.sms.files import FileTexter, StoredText, list_texts
from integrations.sms.twilio import TwilioTexter

__all__ = ["FileTexter", "StoredText", "TwilioSettings", "TwilioTexter", "list_texts", "texter_from_settings"]
