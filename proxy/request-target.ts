/**
 * The request target of everything the proxy serves, parsed once and without throwing. The proxy is an
 * origin server, not a forward proxy: only the origin-form of RFC 9112 §3.2.1 (`/path[?query]`) names one
 * of its resources. Absolute-form (`http://host/x`), authority-form (`host:443`), asterisk-form (`*`) and
 * anything that is not a well-formed URI path (`//`, `/\x`, bad percent-encoding, bytes outside RFC 3986)
 * are refused with 400 before any route, origin check or ticket is looked at.
 */
export interface RequestTarget {
  /** The path as sent (percent-encoding kept): routes match it literally. */
  path: string;
  /** The query's parameters (`token`, `path`, ...), decoded. */
  query: URLSearchParams;
}

// pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; a segment is *pchar.
const PCHAR = String.raw`(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})`;
// absolute-path = 1*( "/" segment ), and the first segment is not empty (`//x` reads as a host to URL parsers).
// The query is looser than RFC 3986, as browsers send it (`|`, `^`, `{`, `[` raw); URLSearchParams never throws.
const ORIGIN_FORM = new RegExp(String.raw`^(\/(?:${PCHAR}+(?:\/${PCHAR}*)*)?)(?:\?([\x21-\x22\x24-\x7e]*))?$`);

/** The parsed target, or `undefined` when it is not an origin-form target this proxy can serve. */
export function parseRequestTarget(target: string | undefined): RequestTarget | undefined {
  const match = ORIGIN_FORM.exec(target ?? '');
  if (!match) return undefined;
  return { path: match[1]!, query: new URLSearchParams(match[2] ?? '') };
}
