"""Payments: the Stripe adapter behind ``domain.ports.PaymentGateway``."""

from integrations.payments.stripe import StripeGateway

__all__ = ["StripeGateway"]
