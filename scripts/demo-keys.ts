/**
 * The demo platform keys (never used outside the local stack). A module of their own, importing nothing:
 * the test environment reads them before the logger's level is set, so they must not pull in the core.
 */
export const DEMO_OPERATOR_KEY = 'demo-operator-key';
export const DEMO_CONSOLE_PROXY_KEY = 'demo-console-proxy-key';
