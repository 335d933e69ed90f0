/**
 * vim25 over SOAP at /sdk, on the wire: the exact envelopes, faults and documents, through the real handlers
 * and the local DynamoDB (stock clients: test/programs/vim25-soap-clients.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { VIM_VERSIONS } from '../../lib/dialects/vim25-soap/versions.js';
import { api, loginVcenter, session } from '../support/api.js';

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ' +
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n';
const ENVELOPE_CLOSE = '</soapenv:Body>\n</soapenv:Envelope>';
const XML = 'text/xml; charset=utf-8';
const TICKET = '[a-z0-9][a-z0-9-]*\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{43}';

/** A request as pyVmomi writes it. */
const envelope = (method: string, self: [string, string], params = '') =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ' +
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><${method} xmlns="urn:vim25"><_this type="${self[0]}">${self[1]}</_this>` +
  `${params}</${method}></soapenv:Body></soapenv:Envelope>`;

const soap = (body: string, options: { cookie?: string; action?: string; headers?: Record<string, string>; path?: string } = {}) =>
  api('POST', options.path ?? '/sdk', {
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: options.action ?? 'urn:vim25/8.0.3.0',
      ...(options.cookie ? { cookie: `vmware_soap_session="${options.cookie}"` } : {}),
      ...options.headers,
    },
    body,
  });

const fault = (type: string, code: string, message: string, properties = '') =>
  `${ENVELOPE_OPEN}<soapenv:Fault>\n<faultcode>${code}</faultcode>\n<faultstring>${message}</faultstring>\n` +
  `<detail><${type}Fault xmlns="urn:vim25" xsi:type="${type}">${properties}</${type}Fault></detail>\n</soapenv:Fault>\n${ENVELOPE_CLOSE}`;

const response = (method: string, returnval: string) => `${ENVELOPE_OPEN}<${method}Response xmlns="urn:vim25">${returnval}</${method}Response>\n${ENVELOPE_CLOSE}`;

const login = (userName = 'admin@acme', password = 'acme-admin-pass', action?: string) =>
  soap(envelope('Login', ['SessionManager', 'SessionManager'], `<userName>${userName}</userName><password>${password}</password>`), { action });

async function soapSession(): Promise<string> {
  const answer = await login();
  const cookie = /^vmware_soap_session="([^"]+)"; Path=\/; HttpOnly$/.exec(answer.headers['set-cookie'] ?? '');
  if (answer.status !== 200 || !cookie) throw new Error(`login: ${answer.status} ${answer.text}`);
  return cookie[1]!;
}

const acquireTicket = (cookie: string, moId: string, type: string, action?: string) =>
  soap(envelope('AcquireTicket', ['VirtualMachine', moId], `<ticketType>${type}</ticketType>`), { cookie, action });

describe('version documents', () => {
  it('GET /sdk/vimServiceVersions.xml lists 8.0.3.0 and every release back to 6.5', async () => {
    const answer = await api('GET', '/sdk/vimServiceVersions.xml');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(XML);
    const prior = [...VIM_VERSIONS].reverse().slice(1).map((version) => `   <version>${version}</version>`).join('\n');
    expect(answer.text).toBe(
      `<?xml version="1.0" encoding="UTF-8" ?>\n<namespaces version="1.0">\n <namespace>\n  <name>urn:vim25</name>\n  <version>8.0.3.0</version>\n  <priorVersions>\n${prior}\n  </priorVersions>\n </namespace>\n</namespaces>\n`,
    );
    expect(prior).toContain('<version>6.5</version>');
  });

  it('GET /sdk/vimService.wsdl imports urn:vim25 and names this endpoint', async () => {
    const answer = await api('GET', '/sdk/vimService.wsdl', { headers: { 'x-forwarded-proto': 'https' } });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('<import location="vim.wsdl" namespace="urn:vim25" />');
    expect(answer.text).toContain('<soap:address location="https://api.test/sdk/vimService" />');
  });
});

describe('ServiceInstance and SessionManager', () => {
  it('RetrieveServiceContent answers anonymously, xsi:type on every value', async () => {
    const answer = await soap(envelope('RetrieveServiceContent', ['ServiceInstance', 'ServiceInstance']));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(XML);
    const mor = (name: string, type: string, value: string) => `<${name} type="${type}" xsi:type="ManagedObjectReference">${value}</${name}>`;
    const s = (name: string, value: string) => `<${name} xsi:type="xsd:string">${value}</${name}>`;
    const expected = response(
      'RetrieveServiceContent',
      '<returnval xsi:type="ServiceContent">' +
        mor('rootFolder', 'Folder', 'group-d1') +
        mor('propertyCollector', 'PropertyCollector', 'propertyCollector') +
        mor('viewManager', 'ViewManager', 'ViewManager') +
        '<about xsi:type="AboutInfo">' +
        s('name', 'VMware vCenter Server') +
        s('fullName', 'VMware vCenter Server 8.0.3 build 24022515') +
        s('vendor', 'VMware, Inc.') +
        s('version', '8.0.3') +
        s('build', '24022515') +
        s('localeVersion', 'INTL') +
        s('localeBuild', '000') +
        s('osType', 'linux-x64') +
        s('productLineId', 'vpx') +
        s('apiType', 'VirtualCenter') +
        s('apiVersion', '8.0.3.0') +
        s('instanceUuid', 'UUID') +
        s('licenseProductName', 'VMware VirtualCenter Server') +
        s('licenseProductVersion', '8.0') +
        '</about>' +
        mor('sessionManager', 'SessionManager', 'SessionManager') +
        mor('searchIndex', 'SearchIndex', 'SearchIndex') +
        mor('guestOperationsManager', 'GuestOperationsManager', 'guestOperationsManager') +
        '</returnval>',
    );
    expect(answer.text).toMatch(new RegExp(`^${escape(expected).replace('UUID', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')}$`));
  });

  it('Login answers a UserSession and the vmware_soap_session cookie; a wrong password is InvalidLogin', async () => {
    const answer = await login();
    expect(answer.status).toBe(200);
    expect(answer.headers['set-cookie']).toMatch(new RegExp(`^vmware_soap_session="${TICKET}"; Path=/; HttpOnly$`));
    expect(answer.text).toMatch(
      new RegExp(
        '<LoginResponse xmlns="urn:vim25"><returnval xsi:type="UserSession"><key xsi:type="xsd:string">[0-9a-f]{8}</key>' +
          '<userName xsi:type="xsd:string">admin@acme</userName><fullName xsi:type="xsd:string">admin@acme</fullName>' +
          '<loginTime xsi:type="xsd:dateTime">[0-9T:.-]+Z</loginTime><lastActiveTime xsi:type="xsd:dateTime">[0-9T:.-]+Z</lastActiveTime>' +
          '<locale xsi:type="xsd:string">en</locale><messageLocale xsi:type="xsd:string">en</messageLocale>' +
          '<extensionSession xsi:type="xsd:boolean">false</extensionSession><ipAddress xsi:type="xsd:string">127.0.0.1</ipAddress>' +
          '<userAgent xsi:type="xsd:string">vitest</userAgent><callCount xsi:type="xsd:long">0</callCount></returnval></LoginResponse>',
      ),
    );
    const https = await soap(envelope('Login', ['SessionManager', 'SessionManager'], '<userName>admin@acme</userName><password>acme-admin-pass</password>'), {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(https.headers['set-cookie']).toMatch(/; Path=\/; HttpOnly; Secure$/);

    const refused = await login('admin@acme', 'wrong-password');
    expect(refused.status).toBe(500);
    expect(refused.headers['content-type']).toBe(XML);
    expect(refused.text).toBe(fault('InvalidLogin', 'ServerFaultCode', 'Cannot complete login due to an incorrect user name or password.'));
  });

  it('a session is a session: a SOAP login works on the REST and JSON endpoints, a REST login over SOAP', async () => {
    const soapSessionId = await soapSession();
    expect((await api('GET', '/api/vcenter/vm/vm-101', { headers: session(soapSessionId) })).status).toBe(200);
    const json = await api('POST', '/sdk/vim25/8.0.3.0/VirtualMachine/vm-101/AcquireTicket', { headers: session(soapSessionId), body: { ticketType: 'webmks' } });
    expect(json.status).toBe(200);

    const restSessionId = await loginVcenter();
    const answer = await acquireTicket(restSessionId, 'vm-101', 'webmks');
    expect(answer.status).toBe(200);
    // The JSON binding's header works over SOAP too (govmomi's JSON and SOAP clients share it).
    const byHeader = await soap(envelope('AcquireMksTicket', ['VirtualMachine', 'vm-101']), { headers: session(restSessionId) });
    expect(byHeader.status).toBe(200);
  });

  it('Logout ends the session: the next call is NotAuthenticated, and so is a second Logout', async () => {
    const cookie = await soapSession();
    const logout = () => soap(envelope('Logout', ['SessionManager', 'SessionManager']), { cookie });
    expect((await logout()).text).toBe(response('Logout', ''));
    const after = await acquireTicket(cookie, 'vm-101', 'webmks');
    expect(after.status).toBe(500);
    expect(after.text).toBe(
      fault('NotAuthenticated', 'ServerFaultCode', 'The session is not authenticated.', '<privilegeId xsi:type="xsd:string">System.View</privilegeId>'),
    );
    expect((await logout()).text).toContain('<NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated">');
  });

  it('SessionIsActive: true for the caller\'s own session key, false for any other', async () => {
    const cookie = await soapSession();
    const properties = await soap(
      envelope(
        'RetrievePropertiesEx',
        ['PropertyCollector', 'propertyCollector'],
        '<specSet><propSet><type>SessionManager</type><pathSet>currentSession</pathSet></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet><options></options>',
      ),
      { cookie },
    );
    const key = /<key xsi:type="xsd:string">([0-9a-f]{8})<\/key>/.exec(properties.text)![1];
    const isActive = (sessionID: string) =>
      soap(envelope('SessionIsActive', ['SessionManager', 'SessionManager'], `<sessionID>${sessionID}</sessionID><userName>admin@acme</userName>`), { cookie });
    expect((await isActive(key!)).text).toBe(response('SessionIsActive', '<returnval xsi:type="xsd:boolean">true</returnval>'));
    expect((await isActive('00000000')).text).toBe(response('SessionIsActive', '<returnval xsi:type="xsd:boolean">false</returnval>'));
  });
});

describe('AcquireTicket over SOAP', () => {
  it.each(VIM_VERSIONS.map((version) => [version]))('speaks urn:vim25/%s, with the fields that release knows', async (version) => {
    const cookie = await soapSession();
    const answer = await acquireTicket(cookie, 'vm-101', 'webmks', `"urn:vim25/${version}"`);
    expect(answer.status).toBe(200);
    const url = version.startsWith('6.') ? '' : `<url xsi:type="xsd:string">wss://127.0.0.1:6080/ticket/${TICKET}</url>`;
    const thumbprints =
      version === '8.0.3.0'
        ? '<certThumbprintList xsi:type="VirtualMachineCertThumbprint"><thumbprint xsi:type="xsd:string">[0-9A-F:]{59}</thumbprint><hashAlgorithm xsi:type="xsd:string">sha1</hashAlgorithm></certThumbprintList>' +
          '<certThumbprintList xsi:type="VirtualMachineCertThumbprint"><thumbprint xsi:type="xsd:string">[0-9A-F:]{95}</thumbprint><hashAlgorithm xsi:type="xsd:string">sha256</hashAlgorithm></certThumbprintList>'
        : '';
    expect(answer.text).toMatch(
      new RegExp(
        `^${escape(ENVELOPE_OPEN)}<AcquireTicketResponse xmlns="urn:vim25"><returnval xsi:type="VirtualMachineTicket"><ticket xsi:type="xsd:string">${TICKET}</ticket>` +
          `<cfgFile xsi:type="xsd:string">${escape('[datastore1] web-01/web-01.vmx')}</cfgFile><host xsi:type="xsd:string">127.0.0.1</host><port xsi:type="xsd:int">6080</port>` +
          `<sslThumbprint xsi:type="xsd:string">[0-9A-F:]{59}</sslThumbprint>${thumbprints}${url}</returnval></AcquireTicketResponse>\n${escape(ENVELOPE_CLOSE)}$`,
      ),
    );
  });

  it.each([
    ['another tenant\'s VM', 'vm-201', 'webmks', 'ManagedObjectNotFound', "The object 'vim.VirtualMachine:vm-201' has already been deleted or has not been completely created", '<obj type="VirtualMachine" xsi:type="ManagedObjectReference">vm-201</obj>'],
    ['an unknown ticket type', 'vm-101', 'vnc', 'InvalidArgument', 'A specified parameter was not correct: ticketType', '<invalidProperty xsi:type="xsd:string">ticketType</invalidProperty>'],
    ['a powered-off VM', 'vm-102', 'webmks', 'InvalidState', 'A webmks console requires virtual machine vm-102 to be powered on; it is poweredOff.', ''],
  ])('%s: %s', async (_case, moId, type, faultType, message, properties) => {
    const answer = await acquireTicket(await soapSession(), moId, type);
    expect(answer.status).toBe(500);
    expect(answer.text).toBe(fault(faultType, 'ServerFaultCode', message, properties));
  });

  it('NoPermission names the privilege a viewer lacks (missingPrivileges only for 7.0.3.2 and later)', async () => {
    const viewer = await soap(envelope('Login', ['SessionManager', 'SessionManager'], '<userName>viewer@acme</userName><password>acme-viewer-pass</password>'));
    const cookie = /vmware_soap_session="([^"]+)"/.exec(viewer.headers['set-cookie']!)![1]!;
    const object = '<object type="VirtualMachine" xsi:type="ManagedObjectReference">vm-101</object><privilegeId xsi:type="xsd:string">VirtualMachine.Interact.ConsoleInteract</privilegeId>';
    const message = 'Permission to perform this operation was denied: VirtualMachine.Interact.ConsoleInteract is required on vm-101.';
    expect((await acquireTicket(cookie, 'vm-101', 'webmks', 'urn:vim25/6.7.1')).text).toBe(fault('NoPermission', 'ServerFaultCode', message, object));
    expect((await acquireTicket(cookie, 'vm-101', 'webmks')).text).toBe(
      fault(
        'NoPermission',
        'ServerFaultCode',
        message,
        `${object}<missingPrivileges xsi:type="NoPermissionEntityPrivileges"><entity type="VirtualMachine" xsi:type="ManagedObjectReference">vm-101</entity>` +
          '<privilegeIds xsi:type="xsd:string">VirtualMachine.Interact.ConsoleInteract</privilegeIds></missingPrivileges>',
      ),
    );
  });
});

describe('PropertyCollector', () => {
  const containerView = async (cookie: string) => {
    const created = await soap(
      envelope('CreateContainerView', ['ViewManager', 'ViewManager'], '<container type="Folder">group-d1</container><type>VirtualMachine</type><recursive>true</recursive>'),
      { cookie },
    );
    return /<returnval type="ContainerView" xsi:type="ManagedObjectReference">([^<]+)<\/returnval>/.exec(created.text)![1]!;
  };
  const viewSpec = (view: string, maxObjects?: number) =>
    envelope(
      'RetrievePropertiesEx',
      ['PropertyCollector', 'propertyCollector'],
      '<specSet><propSet><type>VirtualMachine</type><pathSet>name</pathSet><pathSet>runtime.powerState</pathSet></propSet>' +
        `<objectSet><obj type="ContainerView">${view}</obj><skip>true</skip><selectSet xsi:type="TraversalSpec"><name>traverseEntities</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet></specSet>` +
        `<options>${maxObjects === undefined ? '' : `<maxObjects>${maxObjects}</maxObjects>`}</options>`,
    );
  const vmContent = (moId: string, name: string, power: string) =>
    `<objects xsi:type="ObjectContent"><obj type="VirtualMachine" xsi:type="ManagedObjectReference">${moId}</obj>` +
    `<propSet xsi:type="DynamicProperty"><name xsi:type="xsd:string">name</name><val xsi:type="xsd:string">${name}</val></propSet>` +
    `<propSet xsi:type="DynamicProperty"><name xsi:type="xsd:string">runtime.powerState</name><val xsi:type="VirtualMachinePowerState">${power}</val></propSet></objects>`;

  it('a container view of the VMs, paged by maxObjects and continued by its token', async () => {
    const cookie = await soapSession();
    const view = await containerView(cookie);
    const first = await soap(viewSpec(view, 2), { cookie });
    const token = /<token xsi:type="xsd:string">([^<]+)<\/token>/.exec(first.text)![1]!;
    expect(first.text).toBe(
      response('RetrievePropertiesEx', `<returnval xsi:type="RetrieveResult"><token xsi:type="xsd:string">${token}</token>${vmContent('vm-101', 'web-01', 'poweredOn')}${vmContent('vm-102', 'db-01', 'poweredOff')}</returnval>`),
    );
    const next = await soap(envelope('ContinueRetrievePropertiesEx', ['PropertyCollector', 'propertyCollector'], `<token>${token}</token>`), { cookie });
    expect(next.text).toBe(response('ContinueRetrievePropertiesEx', `<returnval xsi:type="RetrieveResult">${vmContent('vm-103', 'win-01', 'poweredOn')}</returnval>`));
    expect((await soap(envelope('DestroyView', ['ContainerView', view]), { cookie })).text).toBe(response('DestroyView', ''));
  });

  it('shows only the caller\'s tenant: globex sees its one VM in the same view', async () => {
    const globex = await soap(envelope('Login', ['SessionManager', 'SessionManager'], '<userName>admin@globex</userName><password>globex-admin-pass</password>'));
    const cookie = /vmware_soap_session="([^"]+)"/.exec(globex.headers['set-cookie']!)![1]!;
    const answer = await soap(viewSpec(await containerView(cookie)), { cookie });
    expect(answer.text).toBe(response('RetrievePropertiesEx', `<returnval xsi:type="RetrieveResult">${vmContent('vm-201', 'app-01', 'poweredOn')}</returnval>`));
  });
});

describe('requests that are not vim25 SOAP', () => {
  it.each([
    ['not XML', 'hello', 'The request is not well-formed XML: text data outside of root node.'],
    ['a DOCTYPE (billion laughs)', '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>', 'The request is not well-formed XML: a DOCTYPE is not accepted'],
    ['an external entity', '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>', 'The request is not well-formed XML: a DOCTYPE is not accepted'],
    ['an undeclared entity', '<x>&lol;</x>', 'The request is not well-formed XML: undefined entity.'],
    ['not an envelope', '<Envelope/>', 'The request is not a SOAP 1.1 envelope.'],
    ['a method outside urn:vim25', envelope('Login', ['SessionManager', 'SessionManager']).replace('xmlns="urn:vim25"', 'xmlns="urn:vim26"'), 'The method Login is not in the urn:vim25 namespace.'],
    ['too deep', `${'<a>'.repeat(100)}${'</a>'.repeat(100)}`, 'The request is not well-formed XML: elements nested deeper than 64'],
    ['too large', `<a>${'x'.repeat(70_000)}</a>`, 'The request body exceeds 65536 bytes.'],
  ])('%s: InvalidRequest', async (_case, body, message) => {
    const answer = await soap(body);
    expect(answer.status).toBe(500);
    expect(answer.headers['content-type']).toBe(XML);
    expect(answer.text).toBe(fault('InvalidRequest', 'ServerFaultCode', message));
  });

  it('an unknown SOAPAction release is InvalidRequest; an unknown method NotSupported', async () => {
    const unknown = await soap(envelope('RetrieveServiceContent', ['ServiceInstance', 'ServiceInstance']), { action: 'urn:vim25/9.9' });
    expect(unknown.text).toBe(fault('InvalidRequest', 'ServerFaultCode', 'Unsupported SOAPAction &quot;urn:vim25/9.9&quot;: this service speaks urn:vim25/6.5 to urn:vim25/8.0.3.0.'));
    const method = await soap(envelope('PowerOffVM_Task', ['VirtualMachine', 'vm-101']));
    expect(method.text).toBe(fault('NotSupported', 'ServerFaultCode', 'The method PowerOffVM_Task of VirtualMachine is not supported here.'));
  });

  it('/sdk/vimService is the same endpoint', async () => {
    const answer = await soap(envelope('CurrentTime', ['ServiceInstance', 'ServiceInstance']), { path: '/sdk/vimService' });
    expect(answer.text).toMatch(/<CurrentTimeResponse xmlns="urn:vim25"><returnval xsi:type="xsd:dateTime">\d{4}-\d\d-\d\dT[\d:.]+Z<\/returnval><\/CurrentTimeResponse>/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
