/**
 * Runs the guest agent:  `npx tsx agent/main.ts <config.json>`
 * or hashes a guest account password for the config:  `npx tsx agent/main.ts hash-password <password>`.
 *
 * config.json: { "apiUrl": "http://127.0.0.1:3000", "credential": "<agent credential>",
 *                "accounts": [{ "userName": "demo", "passwordHash": "scrypt$...", "home": "/home/demo" }] }
 * AGENT_CREDENTIAL in the environment overrides `credential` (so the file can hold no secret).
 */
import { readFileSync } from 'node:fs';
import { hashPassword } from '../lib/core/secrets.js';
import { GuestAgent, type AgentConfig } from './agent.js';

const [command, argument] = process.argv.slice(2);

if (command === 'hash-password') {
  if (!argument) throw new Error('usage: agent/main.ts hash-password <password>');
  console.log(await hashPassword(argument));
} else {
  const path = command ?? process.env.AGENT_CONFIG;
  if (!path) throw new Error('usage: agent/main.ts <config.json>');
  const config = JSON.parse(readFileSync(path, 'utf8')) as AgentConfig;
  const agent = new GuestAgent({
    ...config,
    credential: process.env.AGENT_CREDENTIAL || config.credential,
    log: (message, fields) => console.log(JSON.stringify({ level: 'INFO', service: 'guest-agent', message, ...fields })),
  });
  await agent.start();
  const stop = () => void agent.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
