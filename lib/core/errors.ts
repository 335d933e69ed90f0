/**
 * Domain errors. The core throws these; each dialect renders them in its own shape and status
 * (lib/dialects/<dialect>/errors.ts). No handler builds an error body. Each kind has one factory below.
 */
export type DomainErrorKind =
  | 'invalid_argument'
  | 'not_found'
  /** A path no API here serves (no route, or a vim25 release this service does not speak). */
  | 'no_such_path'
  | 'not_allowed_in_current_state'
  | 'unauthenticated'
  | 'unauthorized'
  | 'service_unavailable'
  | 'resource_busy'
  | 'resource_inaccessible'
  | 'unable_to_allocate_resource'
  /** The VM already has as many open consoles as its policy allows (vSphere's MksConnectionLimitReached). */
  | 'connection_limit_reached'
  | 'unsupported'
  | 'already_exists'
  /** The request names a version or representation this service does not offer (Nova's 406). */
  | 'not_acceptable'
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
   * A finer cause where a dialect distinguishes it (`invalid_login` for vim25's InvalidLogin,
   * `invalid_request` for a SOAP body that is not a SOAP request: vim25's InvalidRequest; the guest's own
   * refusals, vim25's InvalidGuestLogin and GuestOperationsUnavailable).
   */
  reason?: 'invalid_login' | 'invalid_request' | 'invalid_guest_login' | 'guest_operations_unavailable';
  /** Seconds after which the same request may well succeed: answered as `Retry-After`. */
  retryAfterSeconds?: number;
  /** The limit of open consoles that was reached. */
  connectionLimit?: number;
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
export const NoSuchPath = (message = 'The resource could not be found.') => new DomainError('no_such_path', message);
export const NotAllowedInCurrentState = (message: string, details?: ErrorDetails) =>
  new DomainError('not_allowed_in_current_state', message, details);
export const Unauthenticated = (message = 'Authentication required.', details?: ErrorDetails) =>
  new DomainError('unauthenticated', message, details);
export const Unauthorized = (message: string, details?: ErrorDetails) =>
  new DomainError('unauthorized', message, details);
export const Unavailable = (message: string, cause?: unknown) =>
  new DomainError('service_unavailable', message, {}, { cause });
/** Unavailable for a reason the client should read (a guest's tools not running), not an outage. */
export const UnavailableBecause = (message: string, details: ErrorDetails = {}) =>
  new DomainError('service_unavailable', message, details, { expose: true });
export const ResourceBusy = (message: string, details?: ErrorDetails) =>
  new DomainError('resource_busy', message, details);
export const ResourceInaccessible = (message: string, details?: ErrorDetails) =>
  new DomainError('resource_inaccessible', message, details);
export const UnableToAllocateResource = (message: string) => new DomainError('unable_to_allocate_resource', message);
export const ConnectionLimitReached = (message: string, details?: ErrorDetails) =>
  new DomainError('connection_limit_reached', message, details);
export const Unsupported = (message = 'The requested functionality is not supported.') =>
  new DomainError('unsupported', message);
export const AlreadyExists = (message: string, details?: ErrorDetails) =>
  new DomainError('already_exists', message, details);
export const NotAcceptable = (message: string) => new DomainError('not_acceptable', message);
/** Thrown by the endpoint's deadline, shortly before the Lambda's own timeout would end it without an answer. */
export const TimedOut = (message = 'The request did not complete in time.') => new DomainError('timed_out', message);
export const Internal = (message = 'An internal error occurred.', cause?: unknown) =>
  new DomainError('internal', message, {}, { cause });

/** One factory per kind: a new kind fails to compile here until it has one. */
export const ERROR_FACTORIES = {
  invalid_argument: InvalidArgument,
  not_found: NotFound,
  no_such_path: NoSuchPath,
  not_allowed_in_current_state: NotAllowedInCurrentState,
  unauthenticated: Unauthenticated,
  unauthorized: Unauthorized,
  service_unavailable: Unavailable,
  resource_busy: ResourceBusy,
  resource_inaccessible: ResourceInaccessible,
  unable_to_allocate_resource: UnableToAllocateResource,
  connection_limit_reached: ConnectionLimitReached,
  unsupported: Unsupported,
  already_exists: AlreadyExists,
  not_acceptable: NotAcceptable,
  timed_out: TimedOut,
  internal: Internal,
} satisfies Record<DomainErrorKind, (message: string) => DomainError>;

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
