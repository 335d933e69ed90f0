import type { SoapMethod } from '../../../lib/dialects/vim25-soap/method.js';
import { AcquireMksTicket, AcquireTicket } from './virtual-machine.js';
import { ListProcessesInGuest, StartProgramInGuest, TerminateProcessInGuest } from './guest-process-manager.js';
import { CancelRetrievePropertiesEx, ContinueRetrievePropertiesEx, RetrieveProperties, RetrievePropertiesEx } from './property-collector.js';
import { FindAllByUuid, FindByInventoryPath, FindByUuid } from './search-index.js';
import { CurrentTime, RetrieveServiceContent } from './service-instance.js';
import { Login, Logout, SessionIsActive } from './session-manager.js';
import { CreateContainerView, DestroyView } from './view-manager.js';

/** Every vim25 method this endpoint serves, by its SOAP name. */
export const METHODS: Record<string, SoapMethod> = {
  RetrieveServiceContent,
  CurrentTime,
  Login,
  Logout,
  SessionIsActive,
  RetrievePropertiesEx,
  ContinueRetrievePropertiesEx,
  CancelRetrievePropertiesEx,
  RetrieveProperties,
  CreateContainerView,
  DestroyView,
  FindByUuid,
  FindAllByUuid,
  FindByInventoryPath,
  AcquireTicket,
  AcquireMksTicket,
  StartProgramInGuest,
  ListProcessesInGuest,
  TerminateProcessInGuest,
};
