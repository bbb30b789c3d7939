// Who is asking: the identity a verified token establishes for a session.

export interface Actor {
  /** Subject of the party acting for the token's subject (RFC 8693 `act` claim). */
  subject: string;
  /**
   * Earlier actors from nested `act` claims (`act.act.sub`, then `act.act.act.sub`, ...), outermost
   * first; empty when the claim does not nest. Does not repeat `subject`.
   */
  chain: string[];
}

export interface VerifiedIdentity {
  subject: string;
  groups: string[];
  /** Role from the rules file's group -> role mapping. */
  role: string;
  issuer: string;
  /** Seconds since the epoch; the session ends when it passes. */
  expiresAt: number;
  tokenId?: string;
  actor?: Actor;
}

/** A refusal the client may read: its message never contains the token or key material. */
export class IdentityError extends Error {
  constructor(
    message: string,
    /** Short machine-readable reason for metrics and audit: bad_token, expired, forged, no_role, ... */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

export interface TokenVerifier {
  /** Verifies a compact JWS and maps it to a role; rejects with IdentityError. */
  verify(token: string): Promise<VerifiedIdentity>;
}
