import { json, type Dialect } from '../../http/types.js';
import { vapiMessages } from '../vcenter/errors.js';

/** The operator and console-proxy APIs are ours; they answer errors in the `/api` vAPI shape. */
const platform = (name: 'operator' | 'console-proxy'): Dialect => ({
  name,
  sessionHeader: 'authorization',
  renderError(error) {
    const { entry, messages } = vapiMessages(error);
    return json(entry.status, { error_type: entry.type.toUpperCase(), messages });
  },
});

export const operatorDialect = platform('operator');
export const consoleProxyDialect = platform('console-proxy');
