/**
 * One-time use under load, through the real handlers against the real local DynamoDB: of 1,000 concurrent
 * redemptions of one ticket exactly one wins, and 1,000 tickets issued concurrently are 1,000 distinct
 * tickets, each redeemable exactly once. IN_FLIGHT bounds how many run at once: enough that redemptions
 * overlap (the race the conditional delete must win), few enough that none waits out a timeout on a busy machine.
 */
import { describe, expect, it } from 'vitest';
import { getVm } from '../../lib/core/inventory.js';
import * as Tickets from '../../lib/core/tickets.js';
import { CONSOLE_PRIVILEGE } from '../../lib/core/privileges.js';
import { api, CONSOLE_PROXY, loginVcenter, session } from '../support/api.js';
import { boundedAll } from '../support/bounded.js';
import { recordSecret } from '../support/log-capture.js';
import type { SessionRecord } from '../../lib/records.js';

const CONCURRENCY = 1000;
const IN_FLIGHT = 64;
const admin = { tenantId: 'acme', userName: 'admin@acme', privileges: [CONSOLE_PRIVILEGE] } as unknown as SessionRecord;

const redeem = (ticket: string) => api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } });

describe('one-time use under load', () => {
  it('lets exactly one of 1,000 concurrent redemptions of a ticket win', async () => {
    const { ticket } = await Tickets.issueTicket(admin, await getVm('acme', 'vm-101'), 'WEBMKS', CONSOLE_PRIVILEGE);
    recordSecret(ticket);

    const answers = await boundedAll(CONCURRENCY, IN_FLIGHT, () => redeem(ticket));

    const winners = answers.filter((answer) => answer.status === 200);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.body).toMatchObject({ tenantId: 'acme', vmMoId: 'vm-101', vnc: { host: '127.0.0.1', port: 5901 } });
    const losers = answers.filter((answer) => answer.status !== 200);
    expect(new Set(losers.map((answer) => `${answer.status} ${answer.text}`))).toEqual(
      new Set([
        '404 {"error_type":"NOT_FOUND","messages":[{"args":[],"default_message":"The console ticket is not valid.","id":"com.vmware.vapi.std.errors.not_found"}]}',
      ]),
    );
  }, 300_000);

  it('issues 1,000 concurrent tickets that are distinct and each redeemable exactly once', async () => {
    const sessionId = await loginVcenter();
    const created = await boundedAll(CONCURRENCY, IN_FLIGHT, () =>
      api('POST', '/api/vcenter/vm/vm-101/console/tickets', { headers: session(sessionId), body: { type: 'WEBMKS' } }),
    );
    expect(created.filter((answer) => answer.status !== 201).map((answer) => answer.text)).toEqual([]);
    // WEBMKS: wss://<esx host>:<port>/ticket/<ticket>
    const tickets = created.map((answer) => /\/ticket\/(.+)$/.exec(answer.body.ticket as string)![1]!);
    expect(new Set(tickets).size).toBe(CONCURRENCY);

    const first = await boundedAll(CONCURRENCY, IN_FLIGHT, (index) => redeem(tickets[index]!));
    expect(first.filter((answer) => answer.status !== 200).map((answer) => answer.text)).toEqual([]);
    const second = await boundedAll(CONCURRENCY, IN_FLIGHT, (index) => redeem(tickets[index]!));
    expect(second.filter((answer) => answer.status !== 404).map((answer) => answer.text)).toEqual([]);
  }, 300_000);
});
