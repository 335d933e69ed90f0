import * as z from 'zod';
import type { GuestProcessRecord } from '../../records.js';
import type { GuestCredentials, ProgramSpec } from '../../protocol/agent.js';
import { MoIdSchema } from '../../core/model.js';

/** vcenter.vm.guest.Credentials, as both /api and /rest spell it; secrets stay in memory only. */
const CredentialsSchema = z
  .object({
    type: z.enum(['USERNAME_PASSWORD', 'SAML_BEARER_TOKEN']),
    user_name: z.string().max(256).optional(),
    password: z.string().max(1024).optional(),
    saml_token: z.string().max(65_536).optional(),
    interactive_session: z.boolean().default(false),
  })
  .transform(
    (credentials): GuestCredentials => ({
      type: credentials.type,
      userName: credentials.user_name,
      password: credentials.password,
      samlToken: credentials.saml_token,
      interactiveSession: credentials.interactive_session,
    }),
  );

const variableName = z.string().min(1).max(1024).regex(/^[^=\0]+$/, 'not an environment variable name');
const variableValue = z.string().max(32_768).regex(/^[^\0]*$/, 'contains a NUL character');

/** /api spells the environment as a map; /rest (vAPI's older JSON) as a list of `{key, value}`. */
const ApiEnvironment = z.record(variableName, variableValue);
const RestEnvironment = z
  .array(z.object({ key: variableName, value: variableValue }))
  .max(1024)
  .transform((entries) => Object.fromEntries(entries.map(({ key, value }) => [key, value])));

const createSpec = (environment: z.ZodType<Record<string, string>, unknown>) =>
  z
    .object({
      path: z.string().min(1).max(4096).regex(/^[^\0]+$/, 'contains a NUL character'),
      arguments: z.string().max(65_536).regex(/^[^\0]*$/, 'contains a NUL character').optional(),
      working_directory: z.string().max(4096).regex(/^[^\0]*$/, 'contains a NUL character').optional(),
      environment_variables: environment.optional(),
      start_minimized: z.boolean().optional(),
    })
    .transform((spec) => ({
      program: {
        path: spec.path,
        arguments: spec.arguments || undefined,
        // Unset or empty: the guest's default (the user's home directory on Linux).
        workingDirectory: spec.working_directory || undefined,
        // Empty: guest-dependent defaults; otherwise exactly this environment.
        environment: spec.environment_variables && Object.keys(spec.environment_variables).length > 0 ? spec.environment_variables : undefined,
      } satisfies ProgramSpec,
      startMinimized: spec.start_minimized ?? false,
    }));

const PidSchema = z.coerce.number().int().min(1).max(2 ** 32 - 1);
const VmPath = z.object({ vm: MoIdSchema });
const PidPath = z.object({ vm: MoIdSchema, pid: PidSchema });
const CredentialsBody = z.object({ credentials: CredentialsSchema });

/**
 * The operation an `?action=` (or the /rest form's `~action=`) names, with the body that operation takes.
 * API Gateway routes by path, so one function serves each path and this picks the operation.
 */
function actionInput<A extends Record<string, z.ZodType>, P extends z.ZodType>(path: P, bodies: A, actionKeys: string[]) {
  const names = Object.keys(bodies) as [keyof A & string, ...(keyof A & string)[]];
  const Action = z.enum(names);
  return z
    .object({ path: path as z.ZodType, query: z.record(z.string(), z.string().optional()).default({}), body: z.unknown() })
    .transform((input, context) => {
      const raw = actionKeys.map((key) => input.query[key]).find((value) => value !== undefined);
      const action = Action.safeParse(raw);
      if (!action.success) {
        context.addIssue({ code: 'custom', path: ['query', 'action'], message: `expected action=${names.join('|')}` });
        return z.NEVER;
      }
      const body = (bodies[action.data] as A[keyof A]).safeParse(input.body ?? {});
      if (!body.success) {
        for (const issue of body.error.issues) context.addIssue({ ...issue, path: ['body', ...issue.path] });
        return z.NEVER;
      }
      return { path: input.path as z.output<P>, action: action.data, body: body.data as z.output<A[keyof A]> };
    });
}

const operations = (environment: z.ZodType<Record<string, string>, unknown>, actionKeys: string[]) => ({
  processes: actionInput(
    VmPath,
    { create: z.object({ credentials: CredentialsSchema, spec: createSpec(environment) }), list: CredentialsBody },
    actionKeys,
  ),
  process: actionInput(PidPath, { get: CredentialsBody, delete: CredentialsBody }, actionKeys),
});

/** Each form's guest operation schemas: `/rest` names the action `~action` (or `action`), its environment differs. */
export const guestInput = {
  api: operations(ApiEnvironment, ['action']),
  rest: operations(RestEnvironment, ['~action', 'action']),
};

/** Only the finished fields that are set: vAPI leaves unset optionals out. */
const finishedFields = (process: GuestProcessRecord) =>
  process.finished === undefined ? {} : { finished: process.finished, exit_code: process.exitCode };

/**
 * vcenter.vm.guest.Processes.Summary. vSphere's Summary has no exit fields; we add `finished` and
 * `exit_code` for recently finished processes, as Info has them (vAPI clients ignore fields they do not know).
 */
export const processSummary = (process: GuestProcessRecord) => ({
  name: process.name,
  pid: process.pid,
  owner: process.owner,
  command: process.command,
  started: process.started,
  ...finishedFields(process),
});

/** vcenter.vm.guest.Processes.Info (the pid is the path's). */
export const processInfo = (process: GuestProcessRecord) => ({
  name: process.name,
  owner: process.owner,
  command: process.command,
  started: process.started,
  ...finishedFields(process),
});
