// The credential formats are shared with the agent and the console proxy, so they live with the protocols.
export * from '../protocol/secrets.js';
