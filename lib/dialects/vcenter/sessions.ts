import type { SessionRecord } from '../../records.js';

/** vCenter's session info (`GET /api/session`). */
export const sessionInfo = (session: SessionRecord) => ({
  user: session.userName,
  created_time: session.createdAt,
  last_accessed_time: session.lastAccessedAt,
});

