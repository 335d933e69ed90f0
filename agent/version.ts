/**
 * The agent's version, as it reports it at enrolment and in each heartbeat (the vCenter tools endpoint shows
 * it). A build sets it (scripts/build-agent.ts: esbuild `define`); run from the sources, it is package.json's.
 */
import { readFileSync } from 'node:fs';

declare const __AGENT_VERSION__: string | undefined;

function sourceVersion(): string {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return version;
}

export const AGENT_VERSION: string = typeof __AGENT_VERSION__ === 'string' ? __AGENT_VERSION__ : sourceVersion();
