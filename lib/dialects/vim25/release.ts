import { z } from 'zod';

/**
 * vSphere releases whose vim25 JSON schema this service speaks. An unknown `{release}` in the path is
 * answered as vSphere answers an unknown release: a 404 (there is no such API).
 */
export const SUPPORTED_RELEASES = ['8.0.0.0', '8.0.0.1', '8.0.1.0', '8.0.2.0', '8.0.3.0'] as const;
export const ReleaseSchema = z.enum(SUPPORTED_RELEASES);
