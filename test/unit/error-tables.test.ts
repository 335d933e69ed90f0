import { describe, expect, it } from 'vitest';
import { DomainError, ERROR_FACTORIES, type DomainErrorKind } from '../../lib/core/errors.js';
import { keystone } from '../../lib/dialects/keystone/index.js';
import { nova } from '../../lib/dialects/nova/index.js';
import { consoleProxyDialect } from '../../lib/dialects/console-proxy/index.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { guestAgentDialect } from '../../lib/dialects/guest-agent/index.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { vim25 } from '../../lib/dialects/vim25/index.js';

const KINDS = Object.keys(ERROR_FACTORIES) as DomainErrorKind[];
const body = (response: { body?: string }) => (response.body ? JSON.parse(response.body) : undefined);

describe('error factories', () => {
  it.each(KINDS)('%s has one factory that makes an error of that kind', (kind) => {
    const error = ERROR_FACTORIES[kind]('a message');
    expect(error).toBeInstanceOf(DomainError);
    expect(error.kind).toBe(kind);
    expect(error.message).toBe('a message');
  });
});

describe('vAPI errors (/api, /rest and our own APIs)', () => {
  it.each<[DomainErrorKind, number, string]>([
    ['invalid_argument', 400, 'invalid_argument'],
    ['not_found', 404, 'not_found'],
    ['no_such_path', 404, 'not_found'],
    ['not_allowed_in_current_state', 400, 'not_allowed_in_current_state'],
    ['unauthenticated', 401, 'unauthenticated'],
    ['unauthorized', 403, 'unauthorized'],
    ['service_unavailable', 503, 'service_unavailable'],
    ['resource_busy', 500, 'resource_busy'],
    ['resource_inaccessible', 500, 'resource_inaccessible'],
    ['unable_to_allocate_resource', 500, 'unable_to_allocate_resource'],
    ['unsupported', 400, 'unsupported'],
    ['already_exists', 400, 'already_exists'],
    ['not_acceptable', 400, 'invalid_argument'],
    ['timed_out', 504, 'timed_out'],
    ['internal', 500, 'error'],
  ])('%s is %i %s', (kind, status, type) => {
    const error = ERROR_FACTORIES[kind]('Told to the client.');
    const text = error.exposable ? 'Told to the client.' : expect.any(String);
    const messages = [{ args: [], default_message: text, id: `com.vmware.vapi.std.errors.${type}` }];
    for (const dialect of [vcenterApi, operatorDialect, consoleProxyDialect, guestAgentDialect]) {
      const response = dialect.renderError(error);
      expect([response.statusCode, body(response)]).toEqual([status, { error_type: type.toUpperCase(), messages }]);
    }
    const rest = vcenterRest.renderError(error);
    expect([rest.statusCode, body(rest)]).toEqual([status, { type: `com.vmware.vapi.std.errors.${type}`, value: { messages } }]);
  });

  it('hides the text of an outage behind a generic one', () => {
    expect(body(vcenterApi.renderError(ERROR_FACTORIES.service_unavailable('DynamoDB said no'))).messages[0].default_message).toBe(
      'The system is unable to communicate with a service to complete the request.',
    );
  });
});

describe('Nova faults', () => {
  it.each<[DomainErrorKind, number, string]>([
    ['invalid_argument', 400, 'badRequest'],
    ['unauthenticated', 401, 'unauthorized'],
    ['unauthorized', 403, 'forbidden'],
    ['not_found', 404, 'itemNotFound'],
    ['no_such_path', 404, 'itemNotFound'],
    ['not_acceptable', 406, 'computeFault'],
    ['not_allowed_in_current_state', 409, 'conflictingRequest'],
    ['already_exists', 409, 'conflictingRequest'],
    ['resource_busy', 409, 'conflictingRequest'],
    ['unsupported', 501, 'notImplemented'],
    ['service_unavailable', 503, 'serviceUnavailable'],
    ['resource_inaccessible', 500, 'computeFault'],
    ['unable_to_allocate_resource', 500, 'computeFault'],
    ['timed_out', 504, 'computeFault'],
    ['internal', 500, 'computeFault'],
  ])('%s is %i %s', (kind, status, name) => {
    const error = ERROR_FACTORIES[kind]('Told to the client.');
    const message = error.exposable
      ? 'Told to the client.'
      : 'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.';
    const response = nova.renderError(error);
    expect([response.statusCode, body(response)]).toEqual([status, { [name]: { code: status, message } }]);
  });
});

describe('Keystone errors', () => {
  it.each<[DomainErrorKind, number, string]>([
    ['invalid_argument', 400, 'Bad Request'],
    ['unauthenticated', 401, 'Unauthorized'],
    ['unauthorized', 403, 'Forbidden'],
    ['not_found', 404, 'Not Found'],
    ['no_such_path', 404, 'Not Found'],
    ['not_acceptable', 406, 'Not Acceptable'],
    ['not_allowed_in_current_state', 409, 'Conflict'],
    ['already_exists', 409, 'Conflict'],
    ['resource_busy', 409, 'Conflict'],
    ['unsupported', 501, 'Not Implemented'],
    ['service_unavailable', 503, 'Service Unavailable'],
    ['resource_inaccessible', 500, 'Internal Server Error'],
    ['unable_to_allocate_resource', 500, 'Internal Server Error'],
    ['timed_out', 500, 'Internal Server Error'],
    ['internal', 500, 'Internal Server Error'],
  ])('%s is %i %s', (kind, status, title) => {
    const error = ERROR_FACTORIES[kind]('Told to the client.');
    const message = error.exposable ? 'Told to the client.' : 'An unexpected error prevented the server from fulfilling your request.';
    const response = keystone.renderError(error);
    expect([response.statusCode, body(response)]).toEqual([status, { error: { code: status, message, title } }]);
  });

  it('says only that authentication is required when a login is refused', () => {
    const response = keystone.renderError(ERROR_FACTORIES.unauthenticated('Wrong password for alice.'));
    expect(body(response).error.message).toBe('Wrong password for alice.');
    const refused = keystone.renderError(new DomainError('unauthenticated', 'Wrong password.', { reason: 'invalid_login' }));
    expect(body(refused).error.message).toBe('The request you have made requires authentication.');
  });
});

describe('vim25 faults', () => {
  it.each<[DomainErrorKind, string]>([
    ['invalid_argument', 'InvalidArgument'],
    ['not_found', 'ManagedObjectNotFound'],
    ['not_acceptable', 'InvalidArgument'],
    ['not_allowed_in_current_state', 'InvalidState'],
    ['unauthenticated', 'NotAuthenticated'],
    ['unauthorized', 'NoPermission'],
    ['service_unavailable', 'HostCommunication'],
    ['resource_busy', 'InvalidState'],
    ['resource_inaccessible', 'InvalidState'],
    ['unable_to_allocate_resource', 'SystemError'],
    ['unsupported', 'NotSupported'],
    ['already_exists', 'AlreadyExists'],
    ['timed_out', 'Timedout'],
    ['internal', 'SystemError'],
  ])('%s is a 500 %s fault', (kind, typeName) => {
    const response = vim25.renderError(ERROR_FACTORIES[kind]('Told to the client.'));
    expect(response.statusCode).toBe(500);
    expect(body(response)._typeName).toBe(typeName);
  });

  it('answers a path that names no API with an empty 404, by its kind', () => {
    expect(vim25.renderError(ERROR_FACTORIES.no_such_path('There is no vSphere API release "7.0" here.'))).toEqual({
      statusCode: 404,
      headers: {},
      body: '',
    });
    // A field named `release` is no longer a reason for it.
    expect(vim25.renderError(new DomainError('invalid_argument', 'x', { field: 'release' })).statusCode).toBe(500);
  });

  it('names the object and privilege of a NoPermission fault', () => {
    const error = new DomainError('unauthorized', 'no', { privilege: 'VirtualMachine.Interact.ConsoleInteract', object: { type: 'VirtualMachine', id: 'vm-1' } });
    const vm = { _typeName: 'ManagedObjectReference', type: 'VirtualMachine', value: 'vm-1' };
    expect(body(vim25.renderError(error))).toEqual({
      _typeName: 'NoPermission',
      faultstring: 'no',
      object: vm,
      privilegeId: 'VirtualMachine.Interact.ConsoleInteract',
      missingPrivileges: [{ _typeName: 'NoPermissionEntityPrivileges', entity: vm, privilegeIds: ['VirtualMachine.Interact.ConsoleInteract'] }],
    });
  });

  it('is InvalidLogin for a refused login', () => {
    const error = new DomainError('unauthenticated', 'Cannot complete login due to an incorrect user name or password.', { reason: 'invalid_login' });
    expect(body(vim25.renderError(error))).toEqual({
      _typeName: 'InvalidLogin',
      faultstring: 'Cannot complete login due to an incorrect user name or password.',
    });
  });
});
