/**
 * `serverless package` run as a deployment runs it, and its templates read back: the root stack and the
 * nested stacks deploy/production-stack.cjs writes beside it.
 *
 * The framework packages into the service folder's .serverless (and moves the result to `--package` at the end;
 * `package` starts by deleting it), so two runs in one folder spoil each other: each run here packages a copy
 * of the service of its own (its sources, with node_modules linked).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const serverlessBin = `${root}node_modules/serverless/bin/serverless.js`;

/** A stage's own settings, as a real deployment gives them (a non-local stage refuses to package without). */
export const deployedSettings = {
  CONSOLE_PROXY_BASE_URL: 'https://console.example.test',
  OPERATOR_KEY_SHA256: 'a'.repeat(64),
  CONSOLE_PROXY_KEY_SHA256: 'b'.repeat(64),
};

/** What `serverless package` reads of the service. */
const SERVICE_FILES = ['serverless.yml', 'package.json', 'tsconfig.json', 'deploy', 'functions', 'lib', 'types'];

/**
 * Runs the CLI in a copy of the service of its own, removed afterwards, with the environment a deployer's shell
 * has (not the tests' local DynamoDB and timeouts) plus `env`.
 */
export async function runServerless(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const service = mkdtempSync(join(tmpdir(), 'console-broker-service-'));
  for (const file of SERVICE_FILES) cpSync(join(root, file), join(service, file), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(service, 'node_modules'), 'dir');
  try {
    const shell = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? service, TMPDIR: tmpdir() };
    return await runIn(service, args, { ...shell, ...env });
  } finally {
    rmSync(service, { recursive: true, force: true });
  }
}

function runIn(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [serverlessBin, ...args], { cwd, env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

export interface Packaged {
  code: number;
  output: string;
  dir: string;
  /** The root template. */
  root: any;
  /** Nested templates by their logical id in the root. */
  nested: Record<string, any>;
  /** Every stack's resources in one map (logical ids are unique across them). */
  resources: Record<string, any>;
  /** Each stack's template text size in bytes, root included. */
  bytes: Record<string, number>;
}

/** Packages `stage` in `region` into a folder of its own; `settings` become the environment. */
export async function packageStage(stage: string, region = 'us-east-1', settings: Record<string, string> = {}, extraArgs: string[] = []): Promise<Packaged> {
  const dir = mkdtempSync(join(tmpdir(), 'console-broker-package-'));
  const { code, output } = await runServerless(['package', '--stage', stage, '--region', region, '--package', dir, ...extraArgs], settings);
  if (code !== 0) return { code, output, dir, root: undefined, nested: {}, resources: {}, bytes: {} };
  return { code, output, dir, ...readTemplates(dir) };
}

export function readTemplates(dir: string): Omit<Packaged, 'code' | 'output' | 'dir'> {
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const rootTemplate = read('cloudformation-template-update-stack.json');
  const bytes: Record<string, number> = { root: statSync(join(dir, 'cloudformation-template-update-stack.json')).size };
  const nested: Record<string, any> = {};
  for (const file of readdirSync(dir)) {
    const id = /^cloudformation-template-nested-(\w+)\.json$/.exec(file)?.[1];
    if (!id) continue;
    nested[id] = read(file);
    bytes[id] = statSync(join(dir, file)).size;
  }
  const resources = Object.assign({}, rootTemplate.Resources, ...Object.values(nested).map((stack) => stack.Resources));
  return { root: rootTemplate, nested, resources, bytes };
}

/**
 * The role a function runs with: its Role is a GetAtt in the root stack, or a parameter of its nested stack
 * that the root fills with that GetAtt.
 */
export function roleOf(packaged: Pick<Packaged, 'root' | 'nested' | 'resources'>, functionLogicalId: string): string {
  const role = packaged.resources[functionLogicalId].Properties.Role;
  if (role['Fn::GetAtt']) return role['Fn::GetAtt'][0];
  const stackId = Object.keys(packaged.nested).find((id) => functionLogicalId in packaged.nested[id].Resources)!;
  return packaged.root.Resources[stackId].Properties.Parameters[role.Ref]['Fn::GetAtt'][0];
}
