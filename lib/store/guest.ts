import type { AgentRecord, GuestAuthRecord, GuestProcessRecord, GuestWorkItem, GuestWorkResultRecord, LoginFailuresRecord, TenantRecord } from '../records.js';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { client, queryAll, partitionQueryRequest, recordsIn, send, tableName } from './client.js';
import { all, equals, exists, live, liveOrLasting, placeholders } from './expressions.js';
import { deleteItem, deleteRequest, getItem, getItems, putItem, putRequest, updateItem, type UpdateRequest } from './items.js';
import { keys, recordOf, SK } from './keys.js';
import type { FailureCounter } from './logins.js';

// ---- agent enrolment ----

const sameCredential = equals('credentialHash');
const sameConnection = equals('connectionId');
/**
 * No registered key, or its instance is silent: a polling one without a heartbeat since `liveSince`, a
 * connected one without a health message since `healthySince`.
 */
const noLiveInstance =
  '(attribute_not_exists(#publicKey) OR attribute_not_exists(#lastHeartbeatMs) OR ' +
  '(attribute_not_exists(#connectionId) AND #lastHeartbeatMs < :liveSince) OR #lastHeartbeatMs < :healthySince)';

/** The times after which a sign of life means a live instance: by HTTP heartbeat, by health message on a connection. */
export interface LiveSince {
  heartbeat: number;
  health: number;
}

/**
 * Issues (or re-issues, revoking the previous) an agent credential: the registration starts over.
 * @returns the enrolment it replaced, whose connection the caller closes.
 */
export async function putAgent(agent: AgentRecord): Promise<AgentRecord | undefined> {
  const request = { ...putRequest(keys.agent(agent.tenantId, agent.moId), agent), ReturnValues: 'ALL_OLD' as const };
  const { Attributes } = await send(() => client().send(new PutCommand(request)));
  return recordOf<AgentRecord>(Attributes);
}

export async function deleteAgent(tenantId: string, moId: string): Promise<void> {
  await deleteItem(deleteRequest(keys.agent(tenantId, moId)));
}

export const getAgent = (tenantId: string, moId: string): Promise<AgentRecord | undefined> =>
  getItem(keys.agent(tenantId, moId));

/** The agent's enrolment and its tenant's profile, in one BatchGetItem (an agent's every call). */
export async function getAgentAndTenant(tenantId: string, moId: string): Promise<{ agent?: AgentRecord; tenant?: TenantRecord }> {
  const [agent, tenant] = await getItems([keys.agent(tenantId, moId), keys.tenant(tenantId)]);
  return { agent, tenant };
}

type AgentChanges = Partial<Pick<AgentRecord, 'publicKey' | 'registeredAt' | 'lastHeartbeatMs' | 'agentVersion'>>;

/**
 * Records the agent's public key and a heartbeat, but only under the credential the caller proved: a
 * credential re-issued meanwhile makes this a no-op (false). With `unlessLiveSince`, also a no-op while a
 * registered key's instance is live (see `noLiveInstance`).
 */
export function updateAgentRequest(
  tenantId: string,
  moId: string,
  credentialHash: string,
  changes: AgentChanges,
  unlessLiveSince?: LiveSince,
): UpdateRequest<AgentRecord> {
  const fields = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  const update = `SET ${Object.keys(fields).map(equals).join(', ')}`;
  const condition = unlessLiveSince === undefined ? sameCredential : all(sameCredential, noLiveInstance);
  return {
    TableName: tableName(),
    Key: keys.agent(tenantId, moId),
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], {
      ...fields,
      credentialHash,
      ...(unlessLiveSince === undefined ? {} : { liveSince: unlessLiveSince.heartbeat, healthySince: unlessLiveSince.health }),
    }),
  };
}

export async function updateAgent(
  tenantId: string,
  moId: string,
  credentialHash: string,
  changes: AgentChanges,
  unlessLiveSince?: LiveSince,
): Promise<boolean> {
  return (await updateItem(updateAgentRequest(tenantId, moId, credentialHash, changes, unlessLiveSince))) !== undefined;
}

// ---- the agent's WebSocket connection (API Gateway WebSocket API) ----

/**
 * Records the agent's new connection (and a sign of life), under the credential its $connect proved only.
 * @returns the connection it replaced, if any; `false` when the credential was re-issued meanwhile.
 */
export async function recordConnection(
  tenantId: string,
  moId: string,
  credentialHash: string,
  connectionId: string,
  nowMs: number,
): Promise<{ replaced?: string } | false> {
  const update = 'SET #connectionId = :connectionId, #lastHeartbeatMs = :lastHeartbeatMs';
  const old = await updateItem({
    TableName: tableName(),
    Key: keys.agent(tenantId, moId),
    UpdateExpression: update,
    ConditionExpression: sameCredential,
    ReturnValues: 'UPDATED_OLD',
    ...placeholders([update, sameCredential], { connectionId, lastHeartbeatMs: nowMs, credentialHash }),
  });
  if (!old) return false;
  const replaced = old.connectionId as string | undefined;
  return replaced && replaced !== connectionId ? { replaced } : {};
}

/** The agent's health message on its connection: a sign of life, while that connection is still its own. */
export async function recordConnectionHealth(
  tenantId: string,
  moId: string,
  credentialHash: string,
  connectionId: string,
  nowMs: number,
): Promise<boolean> {
  const update = 'SET #lastHeartbeatMs = :lastHeartbeatMs';
  const condition = all(sameCredential, sameConnection);
  return (
    (await updateItem({
      TableName: tableName(),
      Key: keys.agent(tenantId, moId),
      UpdateExpression: update,
      ConditionExpression: condition,
      ...placeholders([update, condition], { lastHeartbeatMs: nowMs, credentialHash, connectionId }),
    })) !== undefined
  );
}

/** The connection closed ($disconnect, or a send answered Gone): forgotten, unless a newer one replaced it. */
export async function clearConnection(tenantId: string, moId: string, connectionId: string, nowMs: number): Promise<void> {
  const update = 'REMOVE #connectionId SET #disconnectedAtMs = :disconnectedAtMs';
  await updateItem({
    TableName: tableName(),
    Key: keys.agent(tenantId, moId),
    UpdateExpression: update,
    ConditionExpression: sameConnection,
    ...placeholders([update, sameConnection], { disconnectedAtMs: nowMs, connectionId }),
  });
}

// ---- work items: put by the API, claimed (deleted) by exactly one agent poll ----

export async function putWork(work: GuestWorkItem): Promise<void> {
  await putItem(putRequest(keys.guestWork(work.tenantId, work.moId, work.workId), work, { ifAbsent: true }));
}

/**
 * The oldest live work ids for a VM (a few; the agent claims them one by one). No DynamoDB `Limit`: it would
 * count expired items before the filter drops them, and a few stuck ones awaiting the TTL sweep could hide
 * new work for hours.
 */
export async function listWorkIds(tenantId: string, moId: string, limit = 10): Promise<string[]> {
  const items = await queryAll(
    partitionQueryRequest(keys.guestPartition(tenantId, moId), SK.guestWorkPrefix, { filter: live, projection: 'workId' }),
  );
  return items.slice(0, limit).map((item) => item.workId as string);
}

/**
 * Takes a live work item out of the table in one conditional DeleteItem: of an agent claiming it and the
 * API withdrawing it after its wait, exactly one gets the item back.
 */
export const takeWork = (tenantId: string, moId: string, workId: string): Promise<GuestWorkItem | undefined> =>
  deleteItem(deleteRequest(keys.guestWork(tenantId, moId, workId), { onlyIfLive: true }));

export async function putWorkResult(result: GuestWorkResultRecord): Promise<void> {
  await putItem(putRequest(keys.guestResult(result.tenantId, result.moId, result.workId), result));
}

/** Reads an answer (strongly consistent, one GetItem): the push hand-off waits with reads, not writes. */
export const getWorkResult = (tenantId: string, moId: string, workId: string): Promise<GuestWorkResultRecord | undefined> =>
  getItem(keys.guestResult(tenantId, moId, workId));

/** Reads and removes an answer in one round trip (the waiting API's poll). */
export const takeWorkResult = (
  tenantId: string,
  moId: string,
  workId: string,
): Promise<GuestWorkResultRecord | undefined> => deleteItem(deleteRequest(keys.guestResult(tenantId, moId, workId)));

// ---- guest processes ----

export async function putProcess(process: GuestProcessRecord): Promise<void> {
  await putItem(putRequest(keys.process(process.tenantId, process.moId, process.pid), process));
}

/** Marks a live, unfinished process finished; from then on it expires (`expiresAt`). */
export function finishProcessRequest(
  tenantId: string,
  moId: string,
  pid: number,
  finished: string,
  exitCode: number | undefined,
  expiresAt: number,
): UpdateRequest<GuestProcessRecord> {
  const update = `SET #finished = :finished, #expiresAt = :expiresAt${exitCode === undefined ? '' : ', #exitCode = :exitCode'}`;
  const condition = all(exists, liveOrLasting, 'attribute_not_exists(#finished)');
  return {
    TableName: tableName(),
    Key: keys.process(tenantId, moId, pid),
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], { finished, expiresAt, ...(exitCode === undefined ? {} : { exitCode }) }),
  };
}

/** @returns false if the process is unknown or already finished. */
export async function finishProcess(
  tenantId: string,
  moId: string,
  pid: number,
  finished: string,
  exitCode: number | undefined,
  expiresAt: number,
): Promise<boolean> {
  return (await updateItem(finishProcessRequest(tenantId, moId, pid, finished, exitCode, expiresAt))) !== undefined;
}

export const getProcess = (tenantId: string, moId: string, pid: number): Promise<GuestProcessRecord | undefined> =>
  getItem(keys.process(tenantId, moId, pid));

export const listProcesses = (tenantId: string, moId: string): Promise<GuestProcessRecord[]> =>
  recordsIn<GuestProcessRecord>(keys.guestPartition(tenantId, moId), SK.processPrefix);

// ---- guest credentials the agent accepted lately ----

export async function putGuestAuth(auth: GuestAuthRecord): Promise<void> {
  await putItem(putRequest(keys.guestAuth(auth.tenantId, auth.moId, auth.userNameHash), auth));
}

/** Where the failed authentications of a VM's guest user are counted (see lib/store/logins.ts). */
export const guestFailuresOf = (tenantId: string, moId: string, userNameHash: string): FailureCounter =>
  keys.guestFailures(tenantId, moId, userNameHash);

/**
 * What a guest operation needs, in one BatchGetItem of the VM's own guest partition: the VM's agent, the verifier of the presented user's
 * credentials if the agent accepted them lately, the user's recent failed authentications (the lockout), and
 * the process asked about (if any).
 */
export async function getGuestState(
  tenantId: string,
  moId: string,
  userNameHash: string,
  pid?: number,
): Promise<{ agent?: AgentRecord; auth?: GuestAuthRecord; failures?: LoginFailuresRecord; process?: GuestProcessRecord }> {
  const processKey = pid === undefined ? [] : [keys.process(tenantId, moId, pid)];
  const [agent, auth, failures, process] = await getItems([
    keys.agent(tenantId, moId),
    keys.guestAuth(tenantId, moId, userNameHash),
    keys.guestFailures(tenantId, moId, userNameHash),
    ...processKey,
  ]);
  return { agent, auth, failures, process };
}
