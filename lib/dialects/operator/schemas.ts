import * as z from 'zod';
import { MoIdSchema, TenantIdSchema, UserNameSchema } from '../../core/model.js';

/** Path shapes of the operator API. */
export const TenantPath = z.object({ tenant: TenantIdSchema });
export const UserPath = z.object({ tenant: TenantIdSchema, user: UserNameSchema });
export const VmPath = z.object({ tenant: TenantIdSchema, moId: MoIdSchema });

/** Operator lists are paged: `limit` items (default 100, at most 1000), then `next` for the page after. */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/**
 * The `next` cursor of an operator list: the base64url of the last id of the page before, and nothing else.
 * The store rebuilds the key from the tenant in the path and this id, so a forged cursor reaches no other
 * tenant's partition; an id that is not one of this list's (`id`) is refused.
 */
const Cursor = (id: z.ZodType<string>) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,1400}$/, 'not a cursor of this list')
    .transform((text, context) => {
      const parsed = id.safeParse(Buffer.from(text, 'base64url').toString('utf8'));
      if (parsed.success) return parsed.data;
      context.addIssue({ code: 'custom', message: 'not a cursor of this list' });
      return z.NEVER;
    });

/** `?limit=&next=` of a list whose items are identified by `id`; the output is the store's page request. */
export const PageQuery = (id: z.ZodType<string>) =>
  z
    .object({ limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE), next: Cursor(id).optional() })
    .transform(({ limit, next }) => ({ limit, ...(next === undefined ? {} : { after: next }) }));

/** A page as the operator API answers it: the items under `name`, and `next` when items follow. */
export const pageBody = <T>(name: string, page: { items: T[]; more: boolean }, idOf: (item: T) => string) => {
  const last = page.items.at(-1);
  return { [name]: page.items, ...(page.more && last ? { next: Buffer.from(idOf(last), 'utf8').toString('base64url') } : {}) };
};
