import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PK, SK } from '../../lib/store/keys.js';

/**
 * The module graph of the server, type-only imports included (they are what made the store and the core
 * import each other): relative `import … from` and `export … from` of every .ts file under these folders.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FOLDERS = ['lib', 'functions', 'agent', 'proxy'];
const SPECIFIER = /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm;

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file));
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(SPECIFIER)].map((match) => relative(ROOT, resolve(ROOT, dirname(file), match[1]!.replace(/\.js$/, '.ts'))));
}

const graph = new Map(FOLDERS.flatMap(sourceFiles).map((file) => [file, importsOf(file)]));

/** Every cycle's first closing path found by a depth-first walk, as `a -> b -> a`. */
function cycles(): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

function reachableFrom(file: string): Set<string> {
  const seen = new Set<string>();
  const walk = (current: string) => {
    for (const next of graph.get(current) ?? []) if (!seen.has(next)) (seen.add(next), walk(next));
  };
  walk(file);
  return seen;
}

describe('the module graph', () => {
  it('reads the tree it checks', () => {
    expect(graph.get('lib/store/index.ts')).toContain('lib/store/guest.ts');
    expect(graph.get('lib/core/tickets.ts')).toContain('lib/records.ts');
  });

  it('has no import circle', () => {
    expect(cycles()).toEqual([]);
  });

  it('lets the core into the store by its one door, lib/store/index.ts', () => {
    const sideDoors = [...graph]
      .filter(([file]) => file.startsWith('lib/core/'))
      .flatMap(([file, imports]) => imports.filter((target) => target.startsWith('lib/store/') && target !== 'lib/store/index.ts').map((target) => `${file} -> ${target}`));
    expect(sideDoors).toEqual([]);
  });

  it('keeps the records at the bottom: nothing they reach imports the store or the records', () => {
    const below = [...reachableFrom('lib/records.ts')];
    expect(below.filter((file) => file.startsWith('lib/store/') || file === 'lib/records.ts')).toEqual([]);
    expect(below.filter((file) => (graph.get(file) ?? []).some((target) => target.startsWith('lib/store/')))).toEqual([]);
  });

  it('declares every record in lib/records.ts only', () => {
    const declarations = [...graph.keys()]
      .filter((file) => file !== 'lib/records.ts')
      .flatMap((file) =>
        [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^export (?:interface|type) (\w+(?:Record|WorkItem))\b/gm)].map(
          (match) => `${file}: ${match[1]}`,
        ),
      );
    expect(declarations).toEqual([]);
  });

  it('names no key prefix outside lib/store', () => {
    const prefixes = [...new Set([...Object.values(PK), ...Object.values(SK)])].filter((prefix) => prefix.endsWith('#'));
    const leaks = [...graph.keys()]
      .filter((file) => !file.startsWith('lib/store/'))
      .flatMap((file) => {
        const text = readFileSync(join(ROOT, file), 'utf8');
        return prefixes.filter((prefix) => new RegExp(`['"\`]${prefix}`).test(text)).map((prefix) => `${file}: ${prefix}`);
      });
    expect(prefixes.length).toBeGreaterThan(10);
    expect(leaks).toEqual([]);
  });

  it('keeps the test instrumentation out of production: nothing under lib, functions, agent or proxy imports test/', () => {
    const reachingTests = [...graph].flatMap(([file, imports]) => imports.filter((target) => target.startsWith('test/')).map((target) => `${file} -> ${target}`));
    expect([...graph.keys()].length).toBeGreaterThan(50);
    expect(reachingTests).toEqual([]);
  });

  it('sends DynamoDB requests from one place: the SDK only in lib/store, commands only in lib/store/send.ts', () => {
    const sdkImports = [...graph.keys()]
      .filter((file) => !file.startsWith('lib/store/'))
      .filter((file) => /from '@aws-sdk\/(?:lib|client)-dynamodb'/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(sdkImports).toEqual([]);
    const commands = [...graph.keys()]
      .filter((file) => file !== 'lib/store/send.ts')
      .flatMap((file) =>
        [...readFileSync(join(ROOT, file), 'utf8').matchAll(/new (\w+Command)\(|client\(\)\.send\(/g)]
          .filter((match) => match[1] === undefined || DYNAMO_COMMANDS.test(match[1]))
          .map((match) => `${file}: ${match[0]}`),
      );
    expect(commands).toEqual([]);
  });

  it('builds every DynamoDB request in a builder: a `TableName` only inside a lib/store function named …Request(s)', () => {
    const inline = [...graph.keys()].flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return [...text.matchAll(/\bTableName:/g)]
        .map((match) => ({ match, builder: builderAround(text, match.index) }))
        .filter(({ builder }) => !file.startsWith('lib/store/') || !/Requests?$/.test(builder))
        .map(({ builder }) => `${file}: TableName in ${builder || 'no function'}`);
    });
    expect(readFileSync(join(ROOT, 'lib/store/requests.ts'), 'utf8')).toMatch(/TableName:/);
    expect(inline).toEqual([]);
  });
});

/** The DynamoDB commands of the SDK (other AWS clients' commands, e.g. PostToConnectionCommand, are not the store's). */
const DYNAMO_COMMANDS = /^(?:Get|Put|Delete|Update|Query|Scan|BatchGet|BatchWrite|TransactGet|TransactWrite|BatchExecuteStatement|ExecuteStatement)(?:Item)?Command$/;

/** The name of the last function declared before `index` (`function name(` or `const name =`). */
function builderAround(text: string, index: number): string {
  const before = text.slice(0, index);
  const declarations = [...before.matchAll(/^(?:export )?(?:async )?(?:function (\w+)|const (\w+)\s*(?::[^=]+)?=)/gm)];
  const last = declarations.at(-1);
  return last?.[1] ?? last?.[2] ?? '';
}

