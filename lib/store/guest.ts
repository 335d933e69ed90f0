import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { client, isConditionFailure, isExpired, notExpired, nowValue, queryAll, send, tableName } from './client.js';
import { deleteItem, getItem, getItems, putItem } from './items.js';
import { keys, recordOf } from './keys.js';
import type { AgentRecord, GuestAuthRecord, GuestProcessRecord, GuestWorkItem, GuestWorkResultRecord, LoginFailuresRecord } from '../records.js';

const liveCondition = `attribute_exists(pk) AND (attribute_not_exists(#expiresAt) OR ${notExpired.expression})`;

async function conditionally<T>(operation: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send(operation);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

// ---- agent enrolment ----

const sameCredential = 'credentialHash = :credentialHash';
const noLiveInstance = '(attribute_not_exists(publicKey) OR attribute_not_exists(lastHeartbeatMs) OR lastHeartbeatMs < :liveSince)';

/** Issues (or re-issues, revoking the previous) an agent credential: the registration starts over. */
export async function putAgent(agent: AgentRecord): Promise<void> {
  await putItem(keys.agent(agent.tenantId, agent.moId), agent);
}

export async function deleteAgent(tenantId: string, moId: string): Promise<void> {
  await deleteItem(keys.agent(tenantId, moId));
}

export const getAgent = (tenantId: string, moId: string): Promise<AgentRecord | undefined> =>
  getItem<AgentRecord>(keys.agent(tenantId, moId));

/**
 * Records the agent's public key and a heartbeat, but only under the credential the caller proved: a
 * credential re-issued meanwhile makes this a no-op (false). With `unlessHeartbeatSince`, also a no-op while a
 * registered key has a heartbeat at or after that time (another instance is live).
 */
export async function updateAgent(
  tenantId: string,
  moId: string,
  credentialHash: string,
  changes: Partial<Pick<AgentRecord, 'publicKey' | 'registeredAt' | 'lastHeartbeatMs' | 'agentVersion'>>,
  unlessHeartbeatSince?: number,
): Promise<boolean> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
  const names = Object.fromEntries(entries.map(([name], index) => [`#f${index}`, name]));
  const values = Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value]));
  const done = await conditionally(() =>
    client().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.agent(tenantId, moId),
        UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :v${index}`).join(', ')}`,
        ConditionExpression:
          unlessHeartbeatSince === undefined ? sameCredential : `${sameCredential} AND ${noLiveInstance}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ...values,
          ':credentialHash': credentialHash,
          ...(unlessHeartbeatSince === undefined ? {} : { ':liveSince': unlessHeartbeatSince }),
        },
      }),
    ),
  );
  return done !== undefined;
}

// ---- work items: put by the API, claimed (deleted) by exactly one agent poll ----

export async function putWork(work: GuestWorkItem): Promise<void> {
  await putItem(keys.guestWork(work.tenantId, work.moId, work.workId), work, { ifAbsent: true });
}

/**
 * The oldest live work ids for a VM (a few; the agent claims them one by one). No DynamoDB `Limit`: it would
 * count expired items before the filter drops them, and a few stuck ones awaiting the TTL sweep could hide
 * new work for hours.
 */
export async function listWorkIds(tenantId: string, moId: string, limit = 10): Promise<string[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: notExpired.expression,
    ExpressionAttributeNames: notExpired.names,
    ExpressionAttributeValues: { ':pk': keys.tenantPartition(tenantId), ':prefix': keys.guestWorkOf(moId), ...nowValue() },
    ProjectionExpression: 'workId',
  });
  return items.slice(0, limit).map((item) => item.workId as string);
}

/**
 * Takes a live work item out of the table in one conditional DeleteItem: of an agent claiming it and the
 * API withdrawing it after its wait, exactly one gets the item back.
 */
export const takeWork = (tenantId: string, moId: string, workId: string): Promise<GuestWorkItem | undefined> =>
  deleteItem<GuestWorkItem>(keys.guestWork(tenantId, moId, workId), { onlyIfLive: true });

export async function putWorkResult(result: GuestWorkResultRecord): Promise<void> {
  await putItem(keys.guestResult(result.tenantId, result.moId, result.workId), result);
}

/** Reads and removes an answer in one round trip (the waiting API's poll). */
export const takeWorkResult = (
  tenantId: string,
  moId: string,
  workId: string,
): Promise<GuestWorkResultRecord | undefined> => deleteItem<GuestWorkResultRecord>(keys.guestResult(tenantId, moId, workId));

// ---- guest processes ----

export async function putProcess(process: GuestProcessRecord): Promise<void> {
  await putItem(keys.process(process.tenantId, process.moId, process.pid), process);
}

/** Marks a live process finished; from then on it expires (`expiresAt`). False if unknown or finished. */
export async function finishProcess(
  tenantId: string,
  moId: string,
  pid: number,
  finished: string,
  exitCode: number | undefined,
  expiresAt: number,
): Promise<boolean> {
  const withExitCode = exitCode === undefined ? {} : { ':exitCode': exitCode };
  const done = await conditionally(() =>
    client().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.process(tenantId, moId, pid),
        UpdateExpression: `SET finished = :finished, #expiresAt = :expiresAt${exitCode === undefined ? '' : ', exitCode = :exitCode'}`,
        ConditionExpression: `${liveCondition} AND attribute_not_exists(finished)`,
        ExpressionAttributeNames: notExpired.names,
        ExpressionAttributeValues: { ...nowValue(), ':finished': finished, ':expiresAt': expiresAt, ...withExitCode },
      }),
    ),
  );
  return done !== undefined;
}

export const getProcess = (tenantId: string, moId: string, pid: number): Promise<GuestProcessRecord | undefined> =>
  getItem<GuestProcessRecord>(keys.process(tenantId, moId, pid));

export async function listProcesses(tenantId: string, moId: string): Promise<GuestProcessRecord[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.tenantPartition(tenantId), ':prefix': keys.processesOf(moId) },
    ConsistentRead: true,
  });
  return items.filter((item) => !isExpired(item)).map((item) => recordOf<GuestProcessRecord>(item)!);
}

// ---- guest credentials the agent accepted lately ----

export async function putGuestAuth(auth: GuestAuthRecord): Promise<void> {
  await putItem(keys.guestAuth(auth.tenantId, auth.moId, auth.userNameHash), auth);
}

/** The name the failed authentications of a VM's guest user are counted under (see lib/store/logins.ts). */
export const guestLoginFailuresName = (moId: string, userNameHash: string): string => keys.guestLoginFailuresName(moId, userNameHash);

/**
 * What a guest operation needs, in one BatchGetItem: the VM's agent, the verifier of the presented user's
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
    keys.loginFailures(tenantId, guestLoginFailuresName(moId, userNameHash)),
    ...processKey,
  ]);
  return {
    agent: agent as AgentRecord | undefined,
    auth: auth as GuestAuthRecord | undefined,
    failures: failures as LoginFailuresRecord | undefined,
    process: process as GuestProcessRecord | undefined,
  };
}
