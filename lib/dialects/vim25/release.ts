import * as z from 'zod';
import { NoSuchPath } from '../../core/errors.js';
import type { VmRef } from '../../core/sessions.js';
import type { HttpEvent } from '../../http/types.js';

/**
 * vSphere releases whose vim25 JSON schema this service speaks (`{release}` in every path). The JSON
 * protocol arrived with vCenter 8.0 Update 1, which also answers clients that name 8.0.0.x releases.
 */
export const SUPPORTED_RELEASES = ['8.0.0.0', '8.0.0.1', '8.0.1.0', '8.0.2.0', '8.0.3.0'] as const;
export const ReleaseSchema = z.enum(SUPPORTED_RELEASES);

/**
 * An unknown `{release}` names no API at all, so it is answered as a path that does not exist (HTTP 404),
 * not with a fault of an API the client has not reached.
 */
export const unknownRelease = (release: string | undefined) =>
  NoSuchPath(`There is no vSphere API release ${JSON.stringify(release ?? '')} here.`);

/** Every vim25 path starts with a `{release}`: checked before anything else, as URL routing would. */
export function requireKnownRelease(event: HttpEvent): void {
  const release = event.pathParameters?.release;
  if (!ReleaseSchema.safeParse(release).success) throw unknownRelease(release);
}

/**
 * The VM a `/sdk/vim25/{release}/VirtualMachine/{moId}/...` request is about, fetched together with the
 * session. The release is checked first, as URL routing would: an unknown release costs no round trip and
 * reads the same with or without a session.
 */
export function vmInVimPath(event: HttpEvent): VmRef {
  requireKnownRelease(event);
  return { moId: event.pathParameters?.moId ?? '' };
}
