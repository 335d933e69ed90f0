import { nowSeconds } from '../core/clock.js';

/**
 * Expressions are built from these named fragments and joined with `all`. One convention for placeholders:
 * `#name` always stands for the attribute `name`, `:name` for the value given as `name`, and `:now` for the
 * clock's "now" in epoch seconds — so `placeholders` can derive both maps from the expressions themselves.
 */

/** The item exists. */
export const exists = 'attribute_exists(pk)';
/** No item has the key (a put that never overwrites). */
export const absent = 'attribute_not_exists(pk)';
/**
 * The one spelling of "live": the item's `expiresAt` is still ahead. DynamoDB's TTL sweep runs hours late,
 * so every read and conditional write applies it.
 */
export const live = '#expiresAt > :now';
/** Live, or never expiring: an item without `expiresAt` (a running guest process) has no end yet. */
export const liveOrLasting = `(attribute_not_exists(#expiresAt) OR ${live})`;
/** The key condition of a query for a partition's items. */
export const inPartition = 'pk = :pk';
/** The key condition of a query for a partition's items whose sort key starts with a prefix. */
export const underPrefix = `${inPartition} AND begins_with(sk, :prefix)`;

/** `#attribute = :attribute` */
export const equals = (attribute: string): string => `#${attribute} = :${attribute}`;
export const all = (...fragments: string[]): string => fragments.join(' AND ');

/** True when an item that carries `expiresAt` is past it: `liveOrLasting`, for an item already read. */
export const isExpired = (item: { expiresAt?: unknown } | undefined): boolean =>
  typeof item?.expiresAt === 'number' && item.expiresAt <= nowSeconds();

export interface Placeholders {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * The placeholder maps of a request's expressions: each `#name` they use maps to `name`; each `:name` to
 * `values[name]` (`:now` to the clock). DynamoDB refuses a request with an unused or a missing placeholder,
 * so a value that is given but unused, or used but not given, is a programming error thrown here.
 */
export function placeholders(expressions: (string | undefined)[], values: Record<string, unknown> = {}): Placeholders {
  const text = expressions.filter(Boolean).join(' ');
  const names = [...new Set([...text.matchAll(/#(\w+)/g)].map((match) => match[1]!))];
  const used = [...new Set([...text.matchAll(/:(\w+)/g)].map((match) => match[1]!))];
  const given: Record<string, unknown> = { ...(used.includes('now') ? { now: nowSeconds() } : {}), ...values };
  const missing = used.filter((name) => !(name in given));
  const unused = Object.keys(given).filter((name) => !used.includes(name));
  if (missing.length || unused.length) {
    throw new Error(`expression placeholders: missing ${missing.join(', ') || 'none'}, unused ${unused.join(', ') || 'none'}`);
  }
  return {
    ...(names.length ? { ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])) } : {}),
    ...(used.length ? { ExpressionAttributeValues: Object.fromEntries(used.map((name) => [`:${name}`, given[name]])) } : {}),
  };
}
