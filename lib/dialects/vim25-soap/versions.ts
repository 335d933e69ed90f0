/**
 * The vim25 releases this SOAP endpoint speaks, as clients name them in `SOAPAction: "urn:vim25/<release>"`,
 * and the two documents clients read before their first call to pick one (pyVmomi: vimServiceVersions.xml,
 * else the WSDL's import; govmomi's `UseServiceVersion`: vimServiceVersions.xml).
 */
import { DomainError } from '../../core/errors.js';
import { escapeXml } from './xml.js';

export const VIM_VERSIONS = [
  '6.5', '6.7', '6.7.1', '6.7.2', '6.7.3',
  '7.0', '7.0.0.1', '7.0.0.2', '7.0.1.0', '7.0.1.1', '7.0.2.0', '7.0.2.1', '7.0.3.0', '7.0.3.1', '7.0.3.2',
  '8.0.0.0', '8.0.0.1', '8.0.0.2', '8.0.1.0', '8.0.2.0', '8.0.3.0',
] as const;
export type VimVersion = (typeof VIM_VERSIONS)[number];
export const CURRENT_VERSION: VimVersion = '8.0.3.0';

const segments = (version: string) => version.split('.').map(Number);

/** Whether `version` is `since` or later (`6.7.1` ≥ `6.7`, `8.0.0.1` ≥ `8.0`). */
export function isAtLeast(version: string, since: string): boolean {
  const [a, b] = [segments(version), segments(since)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

/**
 * The release a request's `SOAPAction` names: `"urn:vim25/8.0.3.0"` (quoted or not). Without one (or with a
 * bare `urn:vim25`), the current release; a release this service does not speak is an InvalidRequest.
 */
export function versionOf(soapAction: string | undefined): VimVersion {
  const action = soapAction?.trim().replace(/^"(.*)"$/, '$1') ?? '';
  if (action === '' || action === 'urn:vim25') return CURRENT_VERSION;
  const release = /^urn:vim25\/(.+)$/.exec(action)?.[1];
  const known = VIM_VERSIONS.find((version) => version === release);
  if (!known) {
    throw new DomainError('invalid_argument', `Unsupported SOAPAction ${JSON.stringify(action.slice(0, 64))}: this service speaks urn:vim25/${VIM_VERSIONS[0]} to urn:vim25/${CURRENT_VERSION}.`, {
      reason: 'invalid_request',
    });
  }
  return known;
}

/** GET /sdk/vimServiceVersions.xml, as vCenter serves it. */
export const serviceVersionsDocument = (): string =>
  `<?xml version="1.0" encoding="UTF-8" ?>
<namespaces version="1.0">
 <namespace>
  <name>urn:vim25</name>
  <version>${CURRENT_VERSION}</version>
  <priorVersions>
${VIM_VERSIONS.filter((version) => version !== CURRENT_VERSION)
  .reverse()
  .map((version) => `   <version>${version}</version>`)
  .join('\n')}
  </priorVersions>
 </namespace>
</namespaces>
`;

/** GET /sdk/vimService.wsdl: the service document, whose import names the newest namespace. */
export const serviceWsdlDocument = (location: string): string =>
  `<?xml version="1.0" encoding="UTF-8" ?>
<definitions targetNamespace="urn:vim25Service"
   xmlns="http://schemas.xmlsoap.org/wsdl/"
   xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
   xmlns:interface="urn:vim25"
>
   <import location="vim.wsdl" namespace="urn:vim25" />
   <service name="VimService">
      <port binding="interface:VimBinding" name="VimPort">
         <soap:address location="${escapeXml(location)}" />
      </port>
   </service>
</definitions>
`;
