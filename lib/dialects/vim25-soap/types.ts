/**
 * The vim25 data types this service answers with, as the WSDL declares them: each field's XML schema type in
 * WSDL order, and the release that added it where that is later than 6.5 (a client of an older release
 * rejects a field it does not know, so such fields are left out of answers to it). The encoder writes fields
 * in this order whatever the order of the object it is given, and leaves out anything not listed here.
 */
export type FieldType =
  | 'xsd:string'
  | 'xsd:int'
  | 'xsd:long'
  | 'xsd:boolean'
  | 'xsd:dateTime'
  | 'xsd:anyType'
  | 'ManagedObjectReference'
  /** An enumeration: its values are strings typed by the enum's name. */
  | `enum:${string}`
  /** A data object type of this table. */
  | string;

export interface FieldSpec {
  type: FieldType;
  /** The release that added the field (`'7.0'`, `'8.0.3.0'`). */
  since?: string;
}

type Fields = Record<string, FieldType | FieldSpec>;

const MOR = 'ManagedObjectReference';

export const DATA_TYPES: Record<string, Fields> = {
  ServiceContent: {
    rootFolder: MOR,
    propertyCollector: MOR,
    viewManager: MOR,
    about: 'AboutInfo',
    sessionManager: MOR,
    searchIndex: MOR,
    guestOperationsManager: MOR,
  },
  AboutInfo: {
    name: 'xsd:string',
    fullName: 'xsd:string',
    vendor: 'xsd:string',
    version: 'xsd:string',
    build: 'xsd:string',
    localeVersion: 'xsd:string',
    localeBuild: 'xsd:string',
    osType: 'xsd:string',
    productLineId: 'xsd:string',
    apiType: 'xsd:string',
    apiVersion: 'xsd:string',
    instanceUuid: 'xsd:string',
    licenseProductName: 'xsd:string',
    licenseProductVersion: 'xsd:string',
  },
  UserSession: {
    key: 'xsd:string',
    userName: 'xsd:string',
    fullName: 'xsd:string',
    loginTime: 'xsd:dateTime',
    lastActiveTime: 'xsd:dateTime',
    locale: 'xsd:string',
    messageLocale: 'xsd:string',
    extensionSession: 'xsd:boolean',
    ipAddress: 'xsd:string',
    userAgent: 'xsd:string',
    callCount: 'xsd:long',
  },
  RetrieveResult: { token: 'xsd:string', objects: 'ObjectContent' },
  ObjectContent: { obj: MOR, propSet: 'DynamicProperty', missingSet: 'MissingProperty' },
  DynamicProperty: { name: 'xsd:string', val: 'xsd:anyType' },
  MissingProperty: { path: 'xsd:string', fault: 'LocalizedMethodFault' },
  LocalizedMethodFault: { fault: 'xsd:anyType', localizedMessage: 'xsd:string' },
  VirtualMachineTicket: {
    ticket: 'xsd:string',
    cfgFile: 'xsd:string',
    host: 'xsd:string',
    port: 'xsd:int',
    sslThumbprint: 'xsd:string',
    certThumbprintList: { type: 'VirtualMachineCertThumbprint', since: '8.0.3.0' },
    url: { type: 'xsd:string', since: '7.0' },
  },
  VirtualMachineCertThumbprint: { thumbprint: 'xsd:string', hashAlgorithm: 'xsd:string' },
  VirtualMachineMksTicket: { ticket: 'xsd:string', cfgFile: 'xsd:string', host: 'xsd:string', port: 'xsd:int', sslThumbprint: 'xsd:string' },
  GuestProcessInfo: {
    name: 'xsd:string',
    pid: 'xsd:long',
    owner: 'xsd:string',
    cmdLine: 'xsd:string',
    startTime: 'xsd:dateTime',
    endTime: 'xsd:dateTime',
    exitCode: 'xsd:int',
  },
  VirtualMachineConfigInfo: {
    changeVersion: 'xsd:string',
    modified: 'xsd:dateTime',
    name: 'xsd:string',
    guestFullName: 'xsd:string',
    version: 'xsd:string',
    uuid: 'xsd:string',
    createDate: { type: 'xsd:dateTime', since: '6.7' },
    instanceUuid: 'xsd:string',
    template: 'xsd:boolean',
    guestId: 'xsd:string',
    files: 'VirtualMachineFileInfo',
    hardware: 'VirtualHardware',
  },
  VirtualMachineFileInfo: { vmPathName: 'xsd:string' },
  VirtualHardware: { numCPU: 'xsd:int', memoryMB: 'xsd:int' },
  VirtualMachineRuntimeInfo: {
    connectionState: 'enum:VirtualMachineConnectionState',
    powerState: 'enum:VirtualMachinePowerState',
  },
  GuestInfo: {
    toolsRunningStatus: 'xsd:string',
    guestFamily: 'xsd:string',
  },
  VirtualMachineSummary: {
    vm: MOR,
    runtime: 'VirtualMachineRuntimeInfo',
    guest: 'VirtualMachineGuestSummary',
    config: 'VirtualMachineConfigSummary',
    quickStats: 'VirtualMachineQuickStats',
    overallStatus: 'enum:ManagedEntityStatus',
  },
  VirtualMachineGuestSummary: { toolsRunningStatus: 'xsd:string' },
  VirtualMachineConfigSummary: {
    name: 'xsd:string',
    template: 'xsd:boolean',
    vmPathName: 'xsd:string',
    memorySizeMB: 'xsd:int',
    numCpu: 'xsd:int',
    uuid: 'xsd:string',
    instanceUuid: 'xsd:string',
  },
  VirtualMachineQuickStats: {},
  // Faults: the properties vim25 declares (MethodFault's faultCause/faultMessage are never set here).
  InvalidLogin: {},
  NotAuthenticated: { object: MOR, privilegeId: 'xsd:string' },
  NoPermission: {
    object: MOR,
    privilegeId: 'xsd:string',
    missingPrivileges: { type: 'NoPermissionEntityPrivileges', since: '7.0.3.2' },
  },
  NoPermissionEntityPrivileges: { entity: MOR, privilegeIds: 'xsd:string' },
  ManagedObjectNotFound: { obj: MOR },
  InvalidArgument: { invalidProperty: 'xsd:string' },
  InvalidRequest: {},
  InvalidState: {},
  NotSupported: {},
  HostCommunication: {},
  SystemError: { reason: 'xsd:string' },
  AlreadyExists: { name: 'xsd:string' },
  Timedout: {},
  InvalidGuestLogin: {},
  GuestOperationsUnavailable: {},
  GuestProcessNotFound: { pid: 'xsd:long' },
};

/** The field specs of a data type, or undefined for a type this table does not declare. */
export function fieldsOf(typeName: string): [string, FieldSpec][] | undefined {
  const fields = DATA_TYPES[typeName];
  if (!fields) return undefined;
  return Object.entries(fields).map(([name, spec]) => [name, typeof spec === 'string' ? { type: spec } : spec]);
}
