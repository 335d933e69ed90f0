import * as z from 'zod';
import { MoIdSchema, TenantIdSchema, UserNameSchema } from '../../core/model.js';

/** Path shapes of the operator API. */
export const TenantPath = z.object({ tenant: TenantIdSchema });
export const UserPath = z.object({ tenant: TenantIdSchema, user: UserNameSchema });
export const VmPath = z.object({ tenant: TenantIdSchema, moId: MoIdSchema });
