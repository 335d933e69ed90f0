import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './log.js';

/**
 * Every Lambda's shared setup: the logger carries the invocation's context, its keys reset per invocation.
 * Never the event (whatever POWERTOOLS_LOGGER_LOG_EVENT says): an event carries session ids and tickets.
 */
export const lambda = <E, R, C extends Context = Context>(options: middy.PluginObject = {}) =>
  middy<E, R, Error, C>(options).use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }));
