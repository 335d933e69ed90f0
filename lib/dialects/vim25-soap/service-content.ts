import { config } from '../../config.js';
import { ROOT_FOLDER, SINGLETONS } from './inventory.js';
import { CURRENT_VERSION } from './versions.js';

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
  instanceUuid: config.vcenterServerName(),
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
