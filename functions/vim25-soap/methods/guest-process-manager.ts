import * as z from 'zod';
import { requireVm } from '../../../lib/core/access.js';
import { DomainError } from '../../../lib/core/errors.js';
import * as Guest from '../../../lib/core/guest/operations.js';
import { PidSchema } from '../../../lib/core/model.js';
import type { GuestCredentials } from '../../../lib/protocol/agent.js';
import type { GuestProcessRecord } from '../../../lib/records.js';
import { sessionOf, soapMethod, type SoapCall } from '../../../lib/dialects/vim25-soap/method.js';
import { Bool, many, maybe, MoRefParam, one, Text } from '../../../lib/dialects/vim25-soap/params.js';
import { requireSingleton } from './service-instance.js';

/**
 * GuestProcessManager over SOAP: the REST guest processes' core (lib/core/guest), so the same agent path,
 * the same 5-minute retention of finished processes and the same guest-login lockout.
 */
const on = 'GuestProcessManager';
const auth = { kind: 'vm', param: 'vm' } as const;
const noNul = (max: number) => Text.max(max).regex(/^[^\0]*$/, 'contains a NUL character');

/** `NamePasswordAuthentication`, the one GuestAuthentication the agent checks. */
const NamePasswordAuthentication = z
  .object({
    _xsiType: z.literal('NamePasswordAuthentication'),
    interactiveSession: one(Bool),
    username: one(Text.max(256)),
    password: one(Text.max(1024)),
  })
  .transform(
    (credentials): GuestCredentials => ({
      type: 'USERNAME_PASSWORD',
      userName: credentials.username,
      password: credentials.password,
      interactiveSession: credentials.interactiveSession,
    }),
  );

const GuestProgramSpec = z.object({
  programPath: one(noNul(4096).min(1)),
  arguments: one(noNul(65_536)),
  workingDirectory: maybe(noNul(4096)),
  envVariables: many(noNul(32_768).regex(/^[^=]+=/, 'not NAME=value'), 1024),
});

const vmParams = { vm: one(MoRefParam), auth: one(NamePasswordAuthentication) };

/** The VM the call names (a reference of another type names no VM), checked as the REST endpoints check theirs. */
function guestVm(call: SoapCall) {
  requireSingleton(call, 'processManager');
  return requireVm(call.vm, call.vmMoId!);
}

/** The guest's own refusals as the SOAP faults clients know: a refused guest login is not a dead session. */
async function asGuestFaults<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'unauthenticated') {
      throw new DomainError('unauthenticated', error.message, { reason: 'invalid_guest_login' });
    }
    if (error instanceof DomainError && error.kind === 'service_unavailable' && error.exposable) {
      throw new DomainError('service_unavailable', error.message, { reason: 'guest_operations_unavailable' }, { expose: true });
    }
    throw error;
  }
}

/** StartProgramInGuest: the program's real pid in the guest. */
export const StartProgramInGuest = soapMethod({
  on,
  auth,
  params: z.object({ ...vmParams, spec: one(GuestProgramSpec) }),
  run: async ({ auth: credentials, spec }, call) => {
    const environment = Object.fromEntries(spec.envVariables.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    const program = {
      path: spec.programPath,
      arguments: spec.arguments || undefined,
      workingDirectory: spec.workingDirectory || undefined,
      environment: spec.envVariables.length > 0 ? environment : undefined,
    };
    const pid = await asGuestFaults(Guest.createProcess(sessionOf(call), guestVm(call), credentials, program));
    return { type: 'xsd:long', value: pid };
  },
});

const processInfo = (process: GuestProcessRecord) => ({
  _typeName: 'GuestProcessInfo',
  name: process.name,
  pid: process.pid,
  owner: process.owner,
  cmdLine: process.command,
  startTime: process.started,
  endTime: process.finished,
  exitCode: process.finished === undefined ? undefined : process.exitCode,
});

/** ListProcessesInGuest: the programs started through the API (finished ones for 5 minutes), `pids` only if given. */
export const ListProcessesInGuest = soapMethod({
  on,
  auth,
  params: z.object({ ...vmParams, pids: many(z.coerce.number().pipe(PidSchema), 1000) }),
  run: async ({ auth: credentials, pids }, call) => {
    const processes = await asGuestFaults(Guest.listProcesses(sessionOf(call), guestVm(call), credentials));
    const wanted = pids.length > 0 ? processes.filter((process) => pids.includes(process.pid)) : processes;
    return { type: 'GuestProcessInfo', value: wanted.map(processInfo) };
  },
});

/** TerminateProcessInGuest: SIGTERM, then SIGKILL if the process does not end. */
export const TerminateProcessInGuest = soapMethod({
  on,
  auth,
  params: z.object({ ...vmParams, pid: one(z.coerce.number().pipe(PidSchema)) }),
  run: async ({ auth: credentials, pid }, call) => {
    await asGuestFaults(Guest.terminateProcess(sessionOf(call), guestVm(call), credentials, pid));
    return { type: 'xsd:anyType' };
  },
});
