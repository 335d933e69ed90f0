import { InvalidArgument } from '../../core/errors.js';
import type { NameSelection, ServerListQuery, ServerPage } from '../../core/inventory.js';
import { queryPairs } from '../../http/query.js';
import type { HttpEvent } from '../../http/types.js';
import { computeV21 } from './links.js';

/**
 * Nova's paginated server lists (api/openstack/common.py): `limit` and `marker` in, `servers_links` out.
 * Defaults and bounds are Nova's own: `[api] max_limit` (1000) is the page when no limit is asked and the
 * largest page a limit gets.
 */
export const MAX_LIMIT = 1000;

/** A query parameter as webob reads it: the last of its values. */
const lastValue = (pairs: [string, string][], name: string): string | undefined => pairs.filter(([key]) => key === name).at(-1)?.[1];

/** oslo's validate_integer(limit, min_value=0), as Nova calls it: Python's int() of the text. */
function limitOf(text: string): number {
  const trimmed = text.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(trimmed)) throw InvalidArgument('Invalid input received: limit must be an integer', { field: 'limit' });
  const value = Number(trimmed.replaceAll('_', ''));
  if (value < 0) throw InvalidArgument('Invalid input received: limit must be >= 0', { field: 'limit' });
  return Math.min(value, MAX_LIMIT);
}

/** Regular-expression syntax in a name filter; a dot matches itself too, so a name with dots is still a name. */
const REGEX_SYNTAX = /[\\^$*+?()[\]{}|]/;

/**
 * Nova's `name` filter is a regular expression searched in the name. The clients' find-by-name sends the name
 * itself (novaclient, openstacksdk, the openstack CLI) and keeps the servers named exactly so: a plain name,
 * or `^name$`, is looked up exactly, in the index. Anything else is not evaluated (no client pattern runs in a
 * Lambda) but matched as a literal substring, over a bounded part of the inventory per page.
 */
export function nameSelectionOf(name: string | undefined): NameSelection | undefined {
  if (name === undefined) return undefined;
  const anchored = /^\^(.+)\$$/s.exec(name)?.[1];
  if (anchored !== undefined && !REGEX_SYNTAX.test(anchored)) return { exact: anchored };
  if (name !== '' && !REGEX_SYNTAX.test(name)) return { exact: name };
  return { containing: name };
}

/** The page a server list asks for: `limit` (default and bound `MAX_LIMIT`), `marker`, the name selection. */
export function serverListQueryOf(event: HttpEvent): ServerListQuery {
  const pairs = queryPairs(event);
  const limit = lastValue(pairs, 'limit');
  const marker = lastValue(pairs, 'marker');
  const name = nameSelectionOf(lastValue(pairs, 'name'));
  return {
    limit: limit === undefined ? MAX_LIMIT : limitOf(limit),
    ...(marker === undefined ? {} : { marker }),
    ...(name ? { name } : {}),
  };
}

/** Python's urlencode (quote_plus), which Nova writes its links with. */
const quotePlus = (text: string): string =>
  encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');

/**
 * The next link (ViewBuilder._get_next_link): the request's parameters sorted, one value per name (the last
 * in that order, as Python's dict keeps it), `marker` set to the last server's id.
 */
function nextLink(event: HttpEvent, collection: string, marker: string): string {
  const params = new Map<string, string>();
  const sorted = queryPairs(event).sort(([k1, v1], [k2, v2]) => (k1 === k2 ? (v1 < v2 ? -1 : v1 > v2 ? 1 : 0) : k1 < k2 ? -1 : 1));
  for (const [key, value] of sorted) params.set(key, value);
  params.set('marker', marker);
  const query = [...params].map(([key, value]) => `${quotePlus(key)}=${quotePlus(value)}`).join('&');
  return `${computeV21(event)}/${collection}?${query}`;
}

/**
 * `servers_links` (ViewBuilder._get_collection_links): a next link when the page holds `limit` servers, as Nova
 * writes it. A `containing` page that stopped before the end of the inventory gets one too, from the last
 * server it read, though it may hold fewer: its read is bounded, not its matches.
 */
export function serversLinks(event: HttpEvent, collection: 'servers' | 'servers/detail', limit: number, page: ServerPage) {
  const full = limit > 0 && page.vms.length === limit;
  const last = full ? page.vms.at(-1) : page.more ? page.lastRead : undefined;
  return last ? [{ rel: 'next', href: nextLink(event, collection, last.instanceUuid) }] : [];
}
