import type { RecordingManifest } from '../protocol/console-proxy.js';
import type { SessionRecord, VmRecord } from '../records.js';
import { requirePrivilege } from './access.js';
import { Unauthorized } from './errors.js';
import { CONSOLE_AUDIT_PRIVILEGE } from './privileges.js';
import * as Recordings from './recordings.js';

/**
 * A tenant auditor's access to the tenant's console recordings (vSphere-style: a privilege on the VM, or on
 * the tenant's root for a user's recordings across VMs). The auditor's session is of the tenant, so another
 * tenant's VMs and recordings are simply not found.
 */

/** The newest `limit` recordings of a VM of the session's tenant. */
export async function recordingsOfVm(session: SessionRecord, vm: VmRecord, limit: number): Promise<RecordingManifest[]> {
  requirePrivilege(session, CONSOLE_AUDIT_PRIVILEGE, vm);
  return (await Recordings.listRecordings({ tenantId: vm.tenantId, vmMoId: vm.moId }, { limit })).items.map(Recordings.manifestOf);
}

/** The newest `limit` recordings of a user of the session's tenant (a user of another tenant has none here). */
export async function recordingsOfUser(session: SessionRecord, userName: string, limit: number): Promise<RecordingManifest[]> {
  if (!session.privileges.includes(CONSOLE_AUDIT_PRIVILEGE)) {
    throw Unauthorized(`Permission to perform this operation was denied: ${CONSOLE_AUDIT_PRIVILEGE} is required.`, { privilege: CONSOLE_AUDIT_PRIVILEGE });
  }
  return (await Recordings.listRecordings({ tenantId: session.tenantId, userName }, { limit })).items.map(Recordings.manifestOf);
}

/** A one-time playback link for a recording of the VM, issued to the auditor. */
export async function playbackLink(session: SessionRecord, vm: VmRecord, recordingId: string): Promise<Recordings.PlaybackLink> {
  requirePrivilege(session, CONSOLE_AUDIT_PRIVILEGE, vm);
  return Recordings.issuePlaybackLink(await Recordings.getRecording(vm.tenantId, vm.moId, recordingId), session.userName);
}
