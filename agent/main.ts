/**
 * Runs the guest agent:  `npx tsx agent/main.ts <config.json>` (built: `node console-broker-agent.mjs <config.json>`)
 * or hashes a guest account password for the config:  `... hash-password <password>`, or says its version: `... --version`.
 *
 * config.json: { "apiUrl": "http://127.0.0.1:3000", "credentialFile": "/etc/console-broker/agent-credential",
 *                "accounts": [{ "userName": "ops", "passwordHash": "scrypt$...", "osUser": "ops" }] }
 * The credential comes from `credentialFile` (or AGENT_CREDENTIAL_FILE; `-` reads stdin), a file only the
 * agent's user may read. It is refused in the environment or in the config: guest programs could read either.
 */
import { readFileSync } from 'node:fs';
import { hashPassword } from '../lib/protocol/secrets.js';
import { GuestAgent, type AgentConfig } from './agent.js';
import { CredentialSourceError, readAgentCredential } from './credential.js';
import { AGENT_VERSION } from './version.js';

type AgentFileConfig = Omit<AgentConfig, 'credential' | 'log'> & { credentialFile?: string; credential?: unknown };

const log = (level: string, message: string, fields?: Record<string, unknown>) =>
  console.log(JSON.stringify({ level, service: 'guest-agent', message, ...fields }));

function fail(message: string): never {
  log('ERROR', message);
  process.exit(1);
}

/** The credential, from a private file or stdin only. */
function credentialOf(config: AgentFileConfig): string {
  if (process.env.AGENT_CREDENTIAL !== undefined) {
    fail(
      'AGENT_CREDENTIAL in the environment is refused: programs could read it from /proc/<pid>/environ. ' +
        'Put the credential in a file only the agent user can read (chmod 600) and name it in AGENT_CREDENTIAL_FILE.',
    );
  }
  if (config.credential !== undefined) fail('"credential" in the config is refused: name a private file in "credentialFile" instead.');
  const path = process.env.AGENT_CREDENTIAL_FILE || config.credentialFile;
  if (!path) fail('No agent credential: set "credentialFile" in the config or AGENT_CREDENTIAL_FILE (- for stdin).');
  try {
    return readAgentCredential(path);
  } catch (error) {
    if (error instanceof CredentialSourceError) fail(error.message);
    throw error;
  }
}

const [command, argument] = process.argv.slice(2);

if (command === '--version') {
  console.log(AGENT_VERSION);
} else if (command === 'hash-password') {
  if (!argument) fail('usage: agent/main.ts hash-password <password>');
  console.log(await hashPassword(argument));
} else {
  const path = command ?? process.env.AGENT_CONFIG;
  if (!path) fail('usage: agent/main.ts <config.json>');
  const fileConfig = JSON.parse(readFileSync(path, 'utf8')) as AgentFileConfig;
  const { credentialFile: _file, credential: _inline, ...config } = fileConfig;
  const agent = new GuestAgent({
    ...config,
    credential: credentialOf(fileConfig),
    log: (message, fields) => log('INFO', message, fields),
  });
  // Before start: a stop while it still tries to enrol (the API down at boot) ends it cleanly too.
  let stopping = false;
  const stop = () => {
    stopping = true;
    void agent.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  log('INFO', `console-broker guest agent ${AGENT_VERSION} starting`, { agentVersion: AGENT_VERSION, node: process.versions.node });
  try {
    await agent.start();
  } catch (error) {
    // Only a configuration the agent cannot run with ends up here: enrolment itself is retried until it works.
    if (!stopping) fail(`The agent could not start: ${(error as Error).message}`);
  }
}
