/** Who is calling on an agent endpoint: the VM its credential names, and the credential's digest. */
export interface AgentIdentity {
  tenantId: string;
  moId: string;
  credentialHash: string;
}
