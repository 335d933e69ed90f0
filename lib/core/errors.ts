/**
 * Domain errors. The core throws these; each dialect renders them in its own shape and status
 * (lib/dialects/<dialect>/errors.ts). No handler builds an error body.
 */
export type DomainErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'not_allowed_in_current_state'
  | 'unauthenticated'
  | 'unauthorized'
  | 'service_unavailable'
  | 'resource_busy'
  | 'resource_inaccessible'
  | 'unable_to_allocate_resource'
  | 'unsupported'
  | 'already_exists'
  | 'timed_out'
  | 'internal';

/** Structured facts a dialect may need to name in its error (vim25 faults name the privilege and object). */
export interface ErrorDetails {
  /** The request field at fault, e.g. `spec.type` or `ticketType`. */
  field?: string;
  /** The privilege that was missing. */
  privilege?: string;
  /** The kind and id of the object concerned, e.g. `{ type: 'VirtualMachine', id: 'vm-101' }`. */
  object?: { type: string; id: string };
  /** The state the object is in, when an operation is refused for it. */
  state?: string;
  /**
   * A finer cause where a dialect distinguishes it (e.g. `invalid_login` for vim25's InvalidLogin;
   * `no_such_path` for a path no route serves, which vim25 answers as an empty 404).
   */
  reason?: 'invalid_login' | 'no_such_path';
}

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly details: ErrorDetails = {},
    private readonly options: { cause?: unknown; expose?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DomainError';
  }

  /**
   * Messages of 4xx-class errors are safe for clients; 5xx-class ones are replaced by a generic text unless
   * the core wrote them for the client (e.g. "VMware Tools is not running").
   */
  get exposable(): boolean {
    return this.options.expose ?? !['service_unavailable', 'internal', 'resource_inaccessible'].includes(this.kind);
  }
}

export const InvalidArgument = (message: string, details?: ErrorDetails) =>
  new DomainError('invalid_argument', message, details);
export const NotFound = (message: string, details?: ErrorDetails) => new DomainError('not_found', message, details);
export const NotAllowedInCurrentState = (message: string, details?: ErrorDetails) =>
  new DomainError('not_allowed_in_current_state', message, details);
export const Unauthenticated = (message = 'Authentication required.', details?: ErrorDetails) =>
  new DomainError('unauthenticated', message, details);
export const Unauthorized = (message: string, details?: ErrorDetails) =>
  new DomainError('unauthorized', message, details);
export const Unavailable = (message: string, cause?: unknown) =>
  new DomainError('service_unavailable', message, {}, { cause });
/** Unavailable for a reason the client should read (a guest's tools not running), not an outage. */
export const UnavailableBecause = (message: string) =>
  new DomainError('service_unavailable', message, {}, { expose: true });
export const AlreadyExists = (message: string, details?: ErrorDetails) =>
  new DomainError('already_exists', message, details);

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
