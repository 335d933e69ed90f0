/**
 * Every local run is on the Node.js major Lambda runs (nodejs24.x): npm scripts find the pinned `node`
 * devDependency first on PATH, so the test runner and everything it spawns with process.execPath is Node 24.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the runtime', () => {
  it('is Node 24 in the test process', () => {
    expect(process.versions.node).toMatch(/^24\./);
  });

  it('is Node 24 for a program started by name from an npm script, as the README commands start them', () => {
    expect(execFileSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()).toMatch(/^24\./);
  });

  it('is pinned to the major the packaged functions declare', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(manifest.devDependencies.node).toMatch(/^24\.\d+\.\d+$/);
    expect(manifest.engines.node).toBe('>=24');
    expect(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')).toMatch(/runtime: nodejs24\.x/);
  });
});
