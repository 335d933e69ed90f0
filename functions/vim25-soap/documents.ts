import * as z from 'zod';
import { soapXml } from '../../lib/dialects/vim25-soap/errors.js';
import { vim25Soap } from '../../lib/dialects/vim25-soap/index.js';
import { serviceVersionsDocument, serviceWsdlDocument } from '../../lib/dialects/vim25-soap/versions.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { anyRecord } from '../../lib/http/schemas.js';

const input = z.object({ headers: anyRecord });

/** GET /sdk/vimServiceVersions.xml: the releases this endpoint speaks, read by clients before their first call. */
export const versions = endpoint({
  dialect: vim25Soap,
  auth: { kind: 'none' },
  input,
  handler: async () => soapXml(200, serviceVersionsDocument()),
});

/** GET /sdk/vimService.wsdl: the service document (pyVmomi reads it where there is no versions document). */
export const wsdl = endpoint({
  dialect: vim25Soap,
  auth: { kind: 'none' },
  input,
  handler: async ({ headers }) => {
    const proto = headers['x-forwarded-proto']?.split(',')[0]?.trim() || 'https';
    return soapXml(200, serviceWsdlDocument(`${proto}://${headers.host ?? 'localhost'}/sdk/vimService`));
  },
});
