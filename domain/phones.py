"""Phone numbers that can take a text message, in the form SMS providers take them (E.164).

Customers type their number as they write it at home ("06 12 34 56 78", "(415) 555-2671"); the
country of the order's address says which country a number without its "+" code belongs to.
Reading numbers is Google's libphonenumber's job (the ``phonenumbers`` port): its rules for
every country's numbering plan are kept up to date there, and would be wrong here.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

#: A number in E.164 form, as SMS providers take it ("+" and 7 to 15 digits).
E164 = re.compile(r"\+[1-9][0-9]{6,14}")

#: Kinds of number a text can reach. A fixed line, toll-free, premium-rate or shared-cost number
#: cannot (the provider would refuse it, or the customer would never see it). Where a country's
#: plan does not tell mobile and fixed numbers apart (the US, Canada), the number is taken.
TEXTABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.VOIP,
                      PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER})
#: Longer than any number written with its spaces, dashes and extension.
MAX_INPUT = 40


def customer_sms_number(phone: str | None, *countries: str | None) -> str | None:
    """The order's customer number a text can reach, read in the first country given: the order's shipping
    address's, else its billing address's."""
    return sms_number(phone, next((c for c in countries if c), None))


def sms_number(phone: str | None, country_code: str | None) -> str | None:
    """``phone`` in E.164 ("+33612345678") when it is a valid number a text can reach, else None.
    A number without its "+" code is read as a number of ``country_code`` (ISO 3166 alpha-2)."""
    if not phone or not phone.strip() or len(phone) > MAX_INPUT:
        return None
    region = country_code.strip().upper() if country_code and country_code.strip() else None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in TEXTABLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

