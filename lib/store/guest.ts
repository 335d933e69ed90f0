import type { AgentRecord, GuestAuthRecord, GuestProcessRecord, GuestWorkItem, GuestWorkResultRecord, LoginFailuresRecord } from '../records.js';
import { queryAll, partitionQueryRequest, recordsIn, tableName } from './client.js';
import { all, equals, exists, live, liveOrLasting, placeholders } from './expressions.js';
import { deleteItem, deleteRequest, getItem, getItems, putItem, putRequest, updateItem, type UpdateRequest } from './items.js';
import { keys, SK } from './keys.js';
import type { FailureCounter } from './logins.js';

// ---- agent enrolment ----

const sameCredential = equals('credentialHash');
const noLiveInstance = '(attribute_not_exists(#publicKey) OR attribute_not_exists(#lastHeartbeatMs) OR #lastHeartbeatMs < :liveSince)';

/** Issues (or re-issues, revoking the previous) an agent credential: the registration starts over. */
export async function putAgent(agent: AgentRecord): Promise<void> {
  await putItem(putRequest(keys.agent(agent.tenantId, agent.moId), agent));
}

export async function deleteAgent(tenantId: string, moId: string): Promise<void> {
  await deleteItem(deleteRequest(keys.agent(tenantId, moId)));
}

export const getAgent = (tenantId: string, moId: string): Promise<AgentRecord | undefined> =>
  getItem(keys.agent(tenantId, moId));

type AgentChanges = Partial<Pick<AgentRecord, 'publicKey' | 'registeredAt' | 'lastHeartbeatMs' | 'agentVersion'>>;

/**
 * Records the agent's public key and a heartbeat, but only under the credential the caller proved: a
 * credential re-issued meanwhile makes this a no-op (false). With `unlessHeartbeatSince`, also a no-op while a
 * registered key has a heartbeat at or after that time (another instance is live).
 */
export function updateAgentRequest(
  tenantId: string,
  moId: string,
  credentialHash: string,
  changes: AgentChanges,
  unlessHeartbeatSince?: number,
): UpdateRequest<AgentRecord> {
  const fields = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  const update = `SET ${Object.keys(fields).map(equals).join(', ')}`;
  const condition = unlessHeartbeatSince === undefined ? sameCredential : all(sameCredential, noLiveInstance);
  return {
    TableName: tableName(),
    Key: keys.agent(tenantId, moId),
    UpdateExpression: update,
    ConditionExpression: condition,
    ...placeholders([update, condition], {
      ...fields,
      credentialHash,
      ...(unlessHeartbeatSince === undefined ? {} : { liveSince: unlessHeartbeatSince }),
    }),
  };
}

export async function updateAgent(
  tenantId: string,
  moId: string,
  credentialHash: string,
  changes: AgentChanges,
  unlessHeartbeatSince?: number,
): Promise<boolean> {
  return (await updateItem(updateAgentRequest(tenantId, moId, credentialHash, changes, unlessHeartbeatSince))) !== undefined;
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
