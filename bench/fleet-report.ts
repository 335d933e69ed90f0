/**
 * `npm run bench:fleet` (and the end of `npm run bench`): runs the fleet benchmark (bench/fleet.ts) on this
 * checkout in a process of its own, puts it beside the same benchmark measured on the last commit before the
 * key layout (bench/fleet-before.json), writes bench/fleet-results.json and the README's fleet section.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReadmeSection } from './readme.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Busiest {
  key: string;
  unitsPerSecond: number;
  shareOfPartitionLimit: number;
}
interface FleetResult {
  measuredAt: string;
  tree: string;
  source?: string;
  fleet: { vms: number; users: number };
  mix: Record<string, number>;
  seedSeconds: number;
  findByNameMs: number;
  operations: { name: string; perSecond: number; callsPerOperation: number; readUnitsPerOperation: number; writeUnitsPerOperation: number }[];
  busiest: { reads: Busiest; writes: Busiest };
  busiestUnderAttack: { reads: Busiest; writes: Busiest };
}

/** Measures `tree` with bench/fleet.ts in a fresh Node process (the one running npm's scripts). */
export function measureFleet(tree: string, outFile: string): Promise<FleetResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'bench/fleet.ts'), tree, outFile], {
      cwd: tree,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(readFileSync(outFile, 'utf8')) as FleetResult) : reject(new Error(`fleet benchmark of ${tree} exited ${code}`)),
    );
  });
}

const percent = (share: number) => `${(share * 100).toFixed(share < 0.01 ? 2 : 1)}%`;
const number = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 1 });

export function fleetMarkdown(after: FleetResult, before: FleetResult | undefined): string {
  const { mix, fleet } = after;
  const row = (label: string, pick: (result: FleetResult) => Busiest) => {
    const now = pick(after);
    const then = before && pick(before);
    return `| ${label} | ${then ? `\`${then.key}\` ${number(then.unitsPerSecond)}/s = **${percent(then.shareOfPartitionLimit)}**` : '–'} | \`${now.key}\` ${number(now.unitsPerSecond)}/s = **${percent(now.shareOfPartitionLimit)}** |`;
  };
  const operation = (name: string) => {
    const now = after.operations.find((candidate) => candidate.name === name)!;
    const then = before?.operations.find((candidate) => candidate.name === name);
    const cell = (figures: typeof now | undefined) =>
      figures ? `${figures.callsPerOperation} | ${figures.readUnitsPerOperation} | ${figures.writeUnitsPerOperation}` : '– | – | –';
    return `| ${name} | ${number(now.perSecond)} | ${cell(then)} | ${cell(now)} |`;
  };
  return [
    `Measured by \`npm run bench:fleet\` (also run by \`npm run bench\`), ${after.measuredAt.slice(0, 10)}: a synthetic tenant of ` +
      `${number(fleet.vms)} VMs and ${number(fleet.users)} users on the local DynamoDB (seeded in ${after.seedSeconds} s); ` +
      `${number(mix.consoleOpensPerMinute!)} console opens a minute, each a ticket create, a redemption and a Nova find-by-name ` +
      `(what the openstack CLI does before a console), half of them after a login; plus ${number(fleet.vms)} idle guest agents at ` +
      `today's HTTP rates (a claim poll every ${1 / mix.agentPollsPerSecondPerVm!} s, a heartbeat every ${1 / mix.agentHeartbeatsPerSecondPerVm!} s). ` +
      'Every operation runs through its real handler with a real API Gateway event; every DynamoDB call is recorded at the SDK ' +
      'with the partition keys it touched and the request units it consumed. A key every sample touched takes the whole rate of ' +
      'its operation; a key of one user or one VM takes that entity\'s share. Limits per partition: 3,000 read and 1,000 write units a second; target ≤ 10%.' +
      (before ? ` "Before" is the same benchmark on ${before.source ?? before.tree}, measured ${before.measuredAt.slice(0, 10)}.` : ''),
    '',
    '| busiest partition key | before | after |',
    '|---|---|---|',
    row('reads (request units/s, share of 3,000)', (result) => result.busiest.reads),
    row('writes (request units/s, share of 1,000)', (result) => result.busiest.writes),
    row(`reads, plus ${mix.failedLoginsPerSecond} failed logins/s`, (result) => result.busiestUnderAttack.reads),
    row(`writes, plus ${mix.failedLoginsPerSecond} failed logins/s`, (result) => result.busiestUnderAttack.writes),
    '',
    '| operation (per call of it) | rate /s | before: DynamoDB calls | RRU | WRU | after: DynamoDB calls | RRU | WRU |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...after.operations.map((figures) => operation(figures.name)),
    '',
    `Nova find-by-name at ${number(fleet.vms)} VMs takes ${number(after.findByNameMs)} ms locally` +
      (before ? ` (before: ${number(before.findByNameMs)} ms, reading every VM item).` : '.'),
  ].join('\n');
}

export async function runFleet(): Promise<string> {
  const outFile = join(tmpdir(), `console-broker-fleet-${process.pid}.json`);
  try {
    const after = await measureFleet(root, outFile);
    const beforeFile = join(root, 'bench/fleet-before.json');
    const before = existsSync(beforeFile) ? (JSON.parse(readFileSync(beforeFile, 'utf8')) as FleetResult) : undefined;
    writeFileSync(join(root, 'bench/fleet-results.json'), `${JSON.stringify(after, null, 2)}\n`);
    const markdown = fleetMarkdown(after, before);
    writeReadmeSection(join(root, 'docs', 'benchmarks.md'), 'fleet', markdown);
    return markdown;
  } finally {
    rmSync(outFile, { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runFleet().then(
    (markdown) => {
      console.log(`\n${markdown}\n`);
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
