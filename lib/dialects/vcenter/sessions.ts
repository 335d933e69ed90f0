import type { SessionRecord } from '../../core/model.js';

/** vCenter's session info (`GET /api/session`). */
export const sessionInfo = (session: SessionRecord) => ({
  user: session.userName,
  created_time: session.createdAt,
  last_accessed_time: session.lastAccessedAt,
});

