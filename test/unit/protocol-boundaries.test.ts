import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AgentPaths } from '../../lib/protocol/agent.js';
import { AUDIT_RECORDS_PATH, REDEMPTIONS_PATH } from '../../lib/protocol/console-proxy.js';

/**
 * The guest agent and the console proxy are long-running programs that speak to the API over its protocols
 * (lib/protocol/); they must not depend on the server's domain core, directly or through anything they import.
 */
const root = resolve(import.meta.dirname, '../..');

const sourcesIn = (folder: string): string[] =>
  readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(root, folder, file));

/** The project files a source imports (static, type-only, re-exports and dynamic imports alike). */
function projectImports(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
    .filter((imported) => {
      if (!existsSync(imported)) throw new Error(`${relative(root, file)} imports ${imported}, which does not exist`);
      return true;
    });
}

/** Every project file reachable from `entries`, each with the chain of imports that reaches it. */
function reachable(entries: string[]): Map<string, string[]> {
  const chains = new Map(entries.map((entry) => [entry, [entry]]));
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    for (const imported of projectImports(file)) {
      if (chains.has(imported)) continue;
      chains.set(imported, [...chains.get(file)!, imported]);
      pending.push(imported);
    }
  }
  return chains;
}

const coreReachedFrom = (folder: string): string[] =>
  [...reachable(sourcesIn(folder))]
    .filter(([file]) => relative(root, file).startsWith(join('lib', 'core')))
    .map(([, chain]) => chain.map((file) => relative(root, file)).join(' → '));

describe('protocol boundaries', () => {
  it.each(['agent', 'proxy', join('lib', 'protocol')])('%s/ imports nothing of lib/core, directly or indirectly', (folder) => {
    expect(sourcesIn(folder).length).toBeGreaterThan(0);
    expect(coreReachedFrom(folder)).toEqual([]);
  });

  it('sees an import of the core where there is one', () => {
    // The walk itself: the API's guest handlers do reach the core.
    expect(coreReachedFrom(join('functions', 'guest-agent')).length).toBeGreaterThan(0);
  });
});

describe('protocol paths', () => {
  const routes = (folder: string) => readFileSync(join(root, 'functions', folder, 'functions.yml'), 'utf8');

  it.each([
    ...Object.values(AgentPaths).map((path) => ['guest-agent', path] as const),
    ['console-proxy', REDEMPTIONS_PATH] as const,
    ['console-proxy', AUDIT_RECORDS_PATH] as const,
  ])('functions/%s routes %s', (folder, path) => {
    expect(routes(folder)).toContain(`path: ${path} }`);
  });
});
