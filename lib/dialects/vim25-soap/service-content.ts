import { createHash } from 'node:crypto';
import { config } from '../../config.js';
import { ROOT_FOLDER, SINGLETONS } from './inventory.js';
import { CURRENT_VERSION } from './versions.js';

/** A stable UUID for this deployment's vCenter name (clients use it to tell vCenters apart). */
const instanceUuidOf = (serverName: string): string =>
  createHash('sha256').update(serverName).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/** `AboutInfo` of vCenter Server 8.0 Update 3, the release this service answers as. */
export const aboutInfo = () => ({
  _typeName: 'AboutInfo',
  name: 'VMware vCenter Server',
  fullName: 'VMware vCenter Server 8.0.3 build 24022515',
  vendor: 'VMware, Inc.',
  version: '8.0.3',
  build: '24022515',
  localeVersion: 'INTL',
  localeBuild: '000',
  osType: 'linux-x64',
  productLineId: 'vpx',
  apiType: 'VirtualCenter',
  apiVersion: CURRENT_VERSION,
  instanceUuid: instanceUuidOf(config.vcenterServerName()),
  licenseProductName: 'VMware VirtualCenter Server',
  licenseProductVersion: '8.0',
});

/** `ServiceContent`: the objects a client starts from. */
export const serviceContent = () => ({
  _typeName: 'ServiceContent',
  rootFolder: ROOT_FOLDER,
  propertyCollector: SINGLETONS.propertyCollector,
  viewManager: SINGLETONS.viewManager,
  about: aboutInfo(),
  sessionManager: SINGLETONS.sessionManager,
  searchIndex: SINGLETONS.searchIndex,
  guestOperationsManager: SINGLETONS.guestOperationsManager,
});
