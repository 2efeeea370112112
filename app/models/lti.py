"""LTI registrations: platforms, deployments, tool keys, nonces and rejected launches."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, string_enum, utcnow


class DeploymentPolicy(enum.StrEnum):
    """What happens when a registered client launches with an unknown deployment id."""

    APPROVE = "approve"
    AUTO = "auto"


class DeploymentStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    REJECTED = "rejected"


class ToolKeyStatus(enum.StrEnum):
    NEXT = "next"
    ACTIVE = "active"
    RETIRED = "retired"


class Platform(Base):
    """One LMS registration, identified by (issuer, client id)."""

    __tablename__ = "platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000), default="")
    # The audience of the client assertion sent to the token URL; empty means the token URL.
    auth_audience: Mapped[str] = mapped_column(String(1000), default="")
    jwks_url: Mapped[str] = mapped_column(String(1000))
    # The target origin of the tool's LTI platform storage messages; None means
    # the origin of auth_login_url. Set it for a platform whose storage frame is
    # on another origin than its authentication URL.
    storage_target_origin: Mapped[str | None] = mapped_column(String(500))
    # Origins, separated by spaces, that may frame the tool besides the origins of
    # issuer and auth_login_url, such as the institution's own domain of hosted Canvas.
    # A host may start with "*." as in a CSP host source.
    frame_origins: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    deployment_policy: Mapped[DeploymentPolicy] = mapped_column(
        string_enum(DeploymentPolicy),
        default=DeploymentPolicy.APPROVE,
    )
    # The platform's key set, cached here so that every process shares one copy
    # and one fetch limit.
    jwks_json: Mapped[str | None] = mapped_column(Text)
    jwks_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    jwks_fetch_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    deployments: Mapped[list["Deployment"]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    def __repr__(self) -> str:
        return f"<Platform {self.id} {self.issuer} client_id={self.client_id}>"


class Deployment(Base):
    """One ``deployment_id`` of a platform, with the admin's C&C switch."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(500))
    status: Mapped[DeploymentStatus] = mapped_column(
        string_enum(DeploymentStatus),
        default=DeploymentStatus.ACTIVE,
    )
    cc_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(Base):
    """An RSA key pair of the tool; the private key is encrypted with the key-encryption key."""

    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    # RFC 7638 thumbprint of the public key.
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[ToolKeyStatus] = mapped_column(
        string_enum(ToolKeyStatus),
        index=True,
    )
    public_jwk: Mapped[str] = mapped_column(Text)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UsedNonce(Base):
    """A launch nonce already accepted; kept until the token could no longer be valid."""

    __tablename__ = "used_nonce"

    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RejectedLaunch(Base):
    """A rejected login or launch, listed for the platform's LMS administrators."""

    __tablename__ = "rejected_launch"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platform.id", ondelete="SET NULL"), index=True)
    issuer: Mapped[str] = mapped_column(String(500), default="")
    client_id: Mapped[str] = mapped_column(String(500), default="")
    deployment_id: Mapped[str] = mapped_column(String(500), default="")
    stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

