/** The placeholder that sample events in events/ carry where a live session id goes. */
export const SESSION_PLACEHOLDER = 'acme.REPLACE-WITH-A-SESSION-ID-FROM-A-LOGIN-CALL';
