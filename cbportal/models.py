"""All database tables (SQLModel) for RULES R1-R9, with their constraints and indexes.

Statuses are `StrEnum`s stored as short strings; money is integer cents; instants
are aware UTC (`UTCDateTime`); bill dates are plain dates in the vendor's zone.
Tables are only ever made by Alembic migrations (`alembic/versions`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cbportal.types import UTCDateTime


def instant(**kw):
    """A UTC instant column."""
    nullable = kw.pop("nullable", False)
    index = kw.pop("index", False)
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index, **kw)


def enum_col(default=None, **kw):
    return Field(default=default, sa_type=String(24), **kw)


# --- enums --------------------------------------------------------------------

class Role(StrEnum):
    """Per-user roles on a master account (R8)."""
    MANAGE_TICKETS = "manage_tickets"
    MANAGE_ORDERS = "manage_orders"
    SUBSCRIPTION_MANAGEMENT = "subscription_management"
    MANAGE_PRODUCTS = "manage_products"
    MANAGE_USERS = "manage_users"
    # The permissions page's separate "report access" switch: the Reports page and the
    # Subscriptions list (issue 16). Stored like a role; the owner has it.
    REPORT_ACCESS = "report_access"


class ProductKind(StrEnum):
    DIGITAL = "digital"
    PHYSICAL = "physical"


class ProductStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class FrequencyUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class PaymentType(StrEnum):
    CARD = "card"
    PAYPAL = "paypal"
    ELV = "elv"


class OrderStatus(StrEnum):
    ACTIVE = "active"       # paid, nothing refunded
    PARTIALLY_REFUNDED = "partially_refunded"   # part of a bill refunded (R7 prorated refund)
    REFUNDED = "refunded"   # at least one bill refunded in full
    FAILED = "failed"       # the initial payment was declined at checkout


class BillKind(StrEnum):
    INITIAL = "initial"
    REBILL = "rebill"


class BillStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


class AttemptKind(StrEnum):
    CHARGE = "charge"
    REFUND = "refund"


class AttemptOutcome(StrEnum):
    """pending -> succeeded (paid / refunded) | failed (the declines, or a refund refused)."""
    PENDING = "pending"               # recorded before the gateway call, or the gateway has not decided (R6)
    PAID = "paid"
    REFUNDED = "refunded"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    INVALID_CARD = "invalid_card"
    FAILED = "failed"                 # a refund the gateway refused: retried with a new attempt


class RefundStatus(StrEnum):
    """A refund ticket's money (R3): pending until the gateway confirms it."""
    PENDING = "pending"
    SUCCEEDED = "succeeded"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    DUNNING = "dunning"
    CANCELED = "canceled"
    COMPLETED = "completed"


class DunningKind(StrEnum):
    AUTHORIZATION = "authorization"
    CARD_VALIDATION = "card_validation"


class TicketType(StrEnum):
    TECH_SUPPORT = "tech_support"
    REFUND = "refund"
    CANCEL = "cancel"


class TicketStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    PROCESSED = "processed"
    INACTIVITY = "inactivity"
    STAFF = "staff"


class Opener(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    CLERK = "clerk"
    STAFF = "staff"
    API = "api"


class Party(StrEnum):
    """Who wrote a comment or acted on a ticket."""
    CUSTOMER = "customer"
    VENDOR = "vendor"
    STAFF = "staff"
    SYSTEM = "system"


class EscalationStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    UPHELD = "upheld"
    REFUNDED = "refunded"


# --- accounts and users (R8) -----------------------------------------------------

class MasterAccount(SQLModel, table=True):
    __tablename__ = "master_account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    created_at: datetime = instant()


class VendorAccount(SQLModel, table=True):
    __tablename__ = "vendor_account"
    __table_args__ = (CheckConstraint("reminder_days >= 0", name="ck_vendor_account_reminder_days"),)
    id: int | None = Field(default=None, primary_key=True)
    nickname: str = Field(max_length=40, unique=True)
    master_account_id: int = Field(foreign_key="master_account.id", index=True)
    time_zone: str = Field(default="UTC", max_length=64)
    account_email: str = Field(max_length=254)
    customer_service_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=40)
    contact_url: str | None = Field(default=None, max_length=500)
    admin_frequencies: bool = False
    abuse_flagged: bool = False
    abuse_flagged_at: datetime | None = instant(default=None, nullable=True)
    reminder_days: int = 3
    ins_url: str | None = Field(default=None, max_length=500)
    ins_secret: str | None = Field(default=None, max_length=200)
    # A one-time code the owner gives to the owner of another master account to link this
    # account there (R8); only its SHA-256 is kept.
    link_code_hash: str | None = Field(default=None, max_length=64)
    link_code_expires_at: datetime | None = instant(default=None, nullable=True)
    created_at: datetime = instant()
    # R2 holiday calendar: an ISO country code of the `holidays` package and optional region.
    holiday_country: str | None = Field(default=None, max_length=3)
    holiday_region: str | None = Field(default=None, max_length=12)

    @property
    def ticket_email(self) -> str:
        """Where ticket email goes: the customer-service address, else the account address (R4)."""
        return self.customer_service_email or self.account_email


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    password_hash: str | None = Field(default=None, max_length=200)
    master_account_id: int | None = Field(default=None, foreign_key="master_account.id", index=True)
    is_owner: bool = False
    is_staff: bool = False
    active: bool = True
    created_at: datetime = instant()
    # API integration roles: the roles this user's API keys carry, always cut down to the
    # user's own roles when a key is used (R8). None: the keys carry all of the user's roles.
    api_roles: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    role: Role = Field(sa_type=String(32), primary_key=True)


class WebSession(SQLModel, table=True):
    """A browser login; the browser holds only the random token, we keep its hash."""
    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = instant()
    expires_at: datetime = instant()
    revoked_at: datetime | None = instant(default=None, nullable=True)


class ApiKey(SQLModel, table=True):
    """An API key of a user: shown once, stored as a SHA-256 hash (R8)."""
    __tablename__ = "api_key"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(default="", max_length=80)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = instant()
    revoked_at: datetime | None = instant(default=None, nullable=True)


# --- products (R5) ------------------------------------------------------------------

class Product(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("initial_price_cents >= 0", name="ck_product_initial_price"),
        CheckConstraint("rebill_price_cents IS NULL OR rebill_price_cents >= 0", name="ck_product_rebill_price"),
        CheckConstraint("commission_initial_bp BETWEEN 0 AND 10000", name="ck_product_commission_initial"),
        CheckConstraint("commission_rebill_bp BETWEEN 0 AND 10000", name="ck_product_commission_rebill"),
        CheckConstraint("frequency_count IS NULL OR frequency_count >= 1", name="ck_product_frequency_count"),
        CheckConstraint("rebills IS NULL OR rebills >= 1", name="ck_product_rebills"),
        CheckConstraint("trial_days IS NULL OR trial_days >= 1", name="ck_product_trial_days"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="vendor_account.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    kind: ProductKind = enum_col(ProductKind.DIGITAL)
    currency: str = Field(default="USD", max_length=3)
    initial_price_cents: int
    commission_initial_bp: int = 0
    commission_rebill_bp: int = 0
    ship_to: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: ProductStatus = enum_col(ProductStatus.PENDING)
    recurring: bool = False
    rebill_price_cents: int | None = None
    frequency_unit: FrequencyUnit | None = enum_col(None, nullable=True)
    frequency_count: int | None = None
    rebills: int | None = None          # None = until canceled
    trial_days: int | None = None
    created_at: datetime = instant()
    approved_at: datetime | None = instant(default=None, nullable=True)


# --- customers, orders, bills, payments (R1, R5, R6) ------------------------------

class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    # Email prefix search: PostgreSQL's LIKE 'x%' needs text_pattern_ops (services/core/prefix.py).
    # Search by any part of an email or name (issue 16) has its own indexes, made by migration
    # 0011 for one database each: trigram GIN indexes on PostgreSQL, an FTS5 trigram table on
    # SQLite (services/core/text_search.py; left out of the model comparison, cbportal/migrations.py).
    __table_args__ = (Index("ix_customer_email_pattern", "email", postgresql_ops={"email": "text_pattern_ops"}),)
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    time_zone: str | None = Field(default=None, max_length=64)
    created_at: datetime = instant()


class PaymentMethod(SQLModel, table=True):
    __tablename__ = "payment_method"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    type: PaymentType = enum_col(PaymentType.CARD)
    gateway: str = Field(max_length=16)
    gateway_customer_ref: str | None = Field(default=None, max_length=120)
    gateway_method_ref: str = Field(max_length=120)
    last4: str | None = Field(default=None, max_length=4)
    exp_month: int | None = None
    exp_year: int | None = None
    test_behavior: str | None = Field(default=None, max_length=24)  # test mode: forced outcome
    created_at: datetime = instant()
    replaced_at: datetime | None = instant(default=None, nullable=True)


class Order(SQLModel, table=True):
    __tablename__ = "customer_order"
    # Receipt prefix search on PostgreSQL (services/core/prefix.py).
    __table_args__ = (Index("ix_customer_order_receipt_pattern", "receipt",
                            postgresql_ops={"receipt": "text_pattern_ops"}),)
    id: int | None = Field(default=None, primary_key=True)
    receipt: str = Field(max_length=16, unique=True)
    account_id: int = Field(foreign_key="vendor_account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    payment_method_id: int = Field(foreign_key="payment_method.id")
    affiliate: str | None = Field(default=None, max_length=40)
    currency: str = Field(default="USD", max_length=3)
    status: OrderStatus = enum_col(OrderStatus.ACTIVE)
    shipping_address: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = instant(index=True)


class Bill(SQLModel, table=True):
    """One payment of an order: the initial sale or a rebill, with its R1 split."""
    __tablename__ = "bill"
    __table_args__ = (
        UniqueConstraint("order_id", "seq", name="uq_bill_order_seq"),
        CheckConstraint("amount_cents >= 0", name="ck_bill_amount"),
        CheckConstraint("net_cents >= 0", name="ck_bill_net"),
        CheckConstraint("commission_cents >= 0", name="ck_bill_commission"),
        CheckConstraint("refunded_cents >= 0 AND refunded_cents <= amount_cents", name="ck_bill_refunded"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="customer_order.id", index=True)
    seq: int
    kind: BillKind = enum_col(BillKind.INITIAL)
    scheduled_date: date
    amount_cents: int
    net_cents: int = 0
    commission_cents: int = 0
    vendor_cents: int = 0
    status: BillStatus = enum_col(BillStatus.PENDING)
    paid_at: datetime | None = instant(default=None, nullable=True)
    refunded_cents: int = 0
    refunded_at: datetime | None = instant(default=None, nullable=True)


class PaymentAttempt(SQLModel, table=True):
    """Every charge or refund, recorded with its idempotency key before the gateway call (R6)."""
    __tablename__ = "payment_attempt"
    __table_args__ = (CheckConstraint("amount_cents >= 0", name="ck_payment_attempt_amount"),
                      Index("ix_payment_attempt_pending", "outcome", "at"),
                      Index("ix_payment_attempt_check", "check_at"))
    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)  # refunds of a ticket
    kind: AttemptKind = enum_col(AttemptKind.CHARGE)
    idempotency_key: str = Field(max_length=120, unique=True)
    amount_cents: int
    outcome: AttemptOutcome = enum_col(AttemptOutcome.PENDING)
    gateway: str = Field(max_length=16)
    gateway_ref: str | None = Field(default=None, max_length=120)
    at: datetime = instant()
    finished_at: datetime | None = instant(default=None, nullable=True)
    # Refunds only (services/billing/refunds.py): when the worker next looks at this attempt (its
    # lease while a call is under way, counted from the claim; then the reconcile or retry
    # time); None once it is final. A retry is a new attempt of the same chain.
    check_at: datetime | None = instant(default=None, nullable=True)
    chain_started_at: datetime | None = instant(default=None, nullable=True)
    try_no: int = 1
    message: str | None = Field(default=None, max_length=300)
    manual_reason: str | None = Field(default=None, sa_type=Text)
    manual_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")


class Subscription(SQLModel, table=True):
    """The recurring part of an order, with the terms copied at purchase (R5, R6)."""
    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint("rebill_price_cents >= 0", name="ck_subscription_rebill_price"),
        CheckConstraint("payments_remaining IS NULL OR payments_remaining >= 0", name="ck_subscription_remaining"),
        CheckConstraint("frequency_count >= 1", name="ck_subscription_frequency_count"),
        Index("ix_subscription_charge_due", "next_charge_at"),
        Index("ix_subscription_reminder_due", "reminder_due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="customer_order.id", unique=True)
    account_id: int = Field(foreign_key="vendor_account.id", index=True)
    status: SubscriptionStatus = enum_col(SubscriptionStatus.ACTIVE)
    rebill_price_cents: int
    commission_rebill_bp: int = 0
    frequency_unit: FrequencyUnit = enum_col(FrequencyUnit.MONTH)
    frequency_count: int = 1
    rebills_total: int | None = None          # None = until canceled
    payments_remaining: int | None = None
    trial_days: int | None = None
    next_bill_date: date | None = None
    # Timers as data: the UTC instant the next charge, retry or card notice is due (local
    # 00:00 of its date in the vendor's zone), and when the pre-rebill reminder is due.
    next_charge_at: datetime | None = instant(default=None, nullable=True)
    reminder_due_at: datetime | None = instant(default=None, nullable=True)
    reminder_sent_for: date | None = None
    dunning_kind: DunningKind | None = enum_col(None, nullable=True)
    dunning_failures: int = 0
    dunning_notices: int = 0
    dunning_next_date: date | None = None
    canceled_at: datetime | None = instant(default=None, nullable=True)
    cancel_reason: str | None = Field(default=None, max_length=40)
    completed_at: datetime | None = instant(default=None, nullable=True)


# --- tickets (R3, R4) ---------------------------------------------------------------

class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        # R3: at most one open ticket per order.
        Index("uq_ticket_one_open_per_order", "order_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_ticket_process_due", "status", "process_at"),
        Index("ix_ticket_inactivity_due", "status", "inactivity_at"),
        Index("ix_ticket_account_status", "account_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="customer_order.id")
    account_id: int = Field(foreign_key="vendor_account.id")
    type: TicketType = enum_col(TicketType.TECH_SUPPORT)
    status: TicketStatus = enum_col(TicketStatus.OPEN)
    reason: str | None = Field(default=None, max_length=40)
    opened_by: Opener = enum_col(Opener.CUSTOMER)
    opened_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    opened_at: datetime = instant()
    target_bill_id: int | None = Field(default=None, foreign_key="bill.id")
    refund_status: RefundStatus | None = enum_col(None, nullable=True)
    process_at: datetime | None = instant(default=None, nullable=True)
    last_actor: Party = enum_col(Party.CUSTOMER)
    last_action_at: datetime = instant()
    inactivity_warnings: int = 0
    inactivity_at: datetime | None = instant(default=None, nullable=True)
    closed_at: datetime | None = instant(default=None, nullable=True)
    close_reason: CloseReason | None = enum_col(None, nullable=True)
    vendor_closed_or_changed: bool = False
    escalation: EscalationStatus = enum_col(EscalationStatus.NONE)
    escalated_at: datetime | None = instant(default=None, nullable=True)
    # The clerk working the ticket (the dashboard's "mine" filter); None: nobody yet.
    assignee_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)


class TicketComment(SQLModel, table=True):
    __tablename__ = "ticket_comment"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    author: Party = enum_col(Party.CUSTOMER)
    author_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    body: str = Field(sa_type=Text)
    at: datetime = instant()


class TicketEvent(SQLModel, table=True):
    __tablename__ = "ticket_event"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=40)
    actor: Party = enum_col(Party.SYSTEM)
    at: datetime = instant()
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TicketNote(SQLModel, table=True):
    """An internal note of the vendor's users on a ticket: a table of its own, so no email,
    customer page or customer API answer (which read `ticket_comment`) can ever show it."""
    __tablename__ = "ticket_note"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    author_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    body: str = Field(sa_type=Text)
    at: datetime = instant()


class CannedReply(SQLModel, table=True):
    """A vendor account's saved reply (a help desk's macro), inserted into the reply box."""
    __tablename__ = "canned_reply"
    __table_args__ = (UniqueConstraint("account_id", "title", name="uq_canned_reply_account_title"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="vendor_account.id", index=True)
    title: str = Field(max_length=80)
    body: str = Field(sa_type=Text)
    updated_at: datetime = instant()


# --- outboxes, audit, clock ------------------------------------------------------------

class EmailOutbox(SQLModel, table=True):
    """An email written in the same transaction as its cause (its kind, template and
    parameters), rendered and delivered later with retries (R4)."""
    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_due", "sent_at", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    # What was sent, recorded at delivery (rows queued before migration 0014 carry it from the
    # start); until then the email is `template` rendered with `params` (mail.bodies).
    body_text: str | None = Field(default=None, sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    template: str | None = Field(default=None, max_length=40)
    params: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    account_id: int | None = Field(default=None, foreign_key="vendor_account.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="customer_order.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    created_at: datetime = instant()
    next_attempt_at: datetime = instant()
    attempts: int = 0
    sent_at: datetime | None = instant(default=None, nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    reply_to: str | None = Field(default=None, max_length=254)   # signed ticket address (mail-in)


class CheckoutOffer(SQLModel, table=True):
    """An order bump (offered beside a product's checkout) or a one-click upsell (offered
    after its payment), issue 17 (services/billing/offers.py)."""
    __tablename__ = "checkout_offer"
    __table_args__ = (UniqueConstraint("product_id", "offer_product_id", "kind", name="uq_checkout_offer"),)
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    offer_product_id: int = Field(foreign_key="product.id")
    kind: str = enum_col("bump")          # bump or upsell
    position: int = 0
    created_at: datetime = instant()


class InboundMail(SQLModel, table=True):
    """One received email per recipient (services/delivery/mail_in.py): what was done with it.
    `digest` (its Message-ID, else its bytes, plus the recipient) is unique, so a message
    the mail server delivers twice is acted on once."""
    __tablename__ = "inbound_mail"
    __table_args__ = (UniqueConstraint("digest", name="uq_inbound_mail_digest"),)
    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64)
    received_at: datetime = instant(index=True)
    sender: str = Field(max_length=254)
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    outcome: str = Field(max_length=40)
    note: str = Field(max_length=300)
    account_id: int | None = Field(default=None, foreign_key="vendor_account.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)


class InsOutbox(SQLModel, table=True):
    """An instant notification to a vendor's URL, delivered with retries and backoff (R9)."""
    __tablename__ = "ins_outbox"
    __table_args__ = (Index("ix_ins_outbox_due", "delivered_at", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="vendor_account.id", index=True)
    event_type: str = Field(max_length=32)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = instant()
    next_attempt_at: datetime = instant()
    attempts: int = 0
    delivered_at: datetime | None = instant(default=None, nullable=True)
    gave_up_at: datetime | None = instant(default=None, nullable=True)


class InsDelivery(SQLModel, table=True):
    """One delivery attempt of an INS message: the log the vendor sees."""
    __tablename__ = "ins_delivery"
    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="ins_outbox.id", index=True)
    at: datetime = instant()
    status_code: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    duration_ms: int = 0


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = instant(index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str = Field(max_length=24)
    account_id: int | None = Field(default=None, foreign_key="vendor_account.id", index=True)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TestClock(SQLModel, table=True):
    """The stored test clock (R2); one row, id 1, only in test mode."""
    __tablename__ = "test_clock"
    __test__ = False  # not a pytest test class
    id: int = Field(default=1, primary_key=True)
    now: datetime = instant()


class SandboxCharge(SQLModel, table=True):
    """The sandbox gateway's own ledger: what an external processor would hold.

    Written on its own connection, like a remote system; keyed by idempotency key
    so a replayed call returns the first answer instead of charging twice.
    """
    __tablename__ = "sandbox_charge"
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=8)               # charge | refund
    method_ref: str = Field(max_length=120)
    charge_ref: str | None = Field(default=None, max_length=120)  # refunds: what they refund
    amount_cents: int
    currency: str = Field(max_length=3)
    outcome: str = Field(max_length=24)
    metadata_json: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = instant()


class LookupFailure(SQLModel, table=True):
    """A failed customer lookup (wrong receipt or email), counted per client to stop
    receipt guessing (API.md rate limit). Shared by every app process through the database."""
    __tablename__ = "lookup_failure"
    __table_args__ = (Index("ix_lookup_failure_client_at", "client", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    at: datetime = instant()


class ClosedDate(SQLModel, table=True):
    """A vendor's own closed date (R2): counts like a Saturday for business time and deferrals."""
    __tablename__ = "closed_date"
    __table_args__ = (UniqueConstraint("account_id", "day", name="uq_closed_date_account_day"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="vendor_account.id", index=True)
    day: date
    label: str = Field(default="", max_length=80)


class AttemptCounter(SQLModel, table=True):
    """One counter per limited key (`lookup-addr:…`, `lookup-receipt:…`, `login-user:…`,
    `login-addr:…`): attempts in the current window and, for sign-ins, the instant until
    which the key is refused. Rows are locked while counted, so the limits are atomic
    across threads and processes (services/accounts/ratelimit.py, services/accounts/auth.py)."""
    __tablename__ = "attempt_counter"
    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = instant()
    count: int = 0
    blocked_until: datetime | None = instant(nullable=True)


class WorkerHeartbeat(SQLModel, table=True):
    """A running worker loop (in an app process or `cbportal worker`), beating every few
    seconds in wall-clock time (operations, not business time); `/readyz` and
    `cbportal doctor` read the freshest beat."""
    __tablename__ = "worker_heartbeat"
    name: str = Field(primary_key=True, max_length=120)   # host:pid
    started_at: datetime = instant()
    beat_at: datetime = instant(index=True)
