import { SaxesParser } from 'saxes';

/**
 * A safe XML reader for SOAP requests (saxes, a non-validating streaming parser): a DOCTYPE is refused outright,
 * so no entity is ever declared, expanded or fetched (billion laughs and external entities have nothing to
 * work with: an undeclared entity is a parse error), and depth and element count are bounded. The size is
 * bounded before parsing (MAX_BODY_BYTES).
 */
export interface XmlElement {
  /** Namespace URI ('' when none). */
  ns: string;
  /** Local name. */
  name: string;
  /** Attributes by local name (namespace-qualified ones by `{uri}local`). */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (character data and CDATA), concatenated. */
  text: string;
}

export const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

export const XML_LIMITS = { maxDepth: 64, maxElements: 20_000 };

export class XmlRefused extends Error {
  override name = 'XmlRefused';
}

export function parseXml(text: string, limits = XML_LIMITS): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let failure: Error | undefined;
  const fail = (message: string) => {
    failure ??= new XmlRefused(message);
    throw failure;
  };
  parser.on('doctype', () => fail('a DOCTYPE is not accepted'));
  parser.on('error', (error) => fail(error.message));
  parser.on('opentag', (tag) => {
    if (stack.length >= limits.maxDepth) fail(`elements nested deeper than ${limits.maxDepth}`);
    if (++elements > limits.maxElements) fail(`more than ${limits.maxElements} elements`);
    const attributes: Record<string, string> = {};
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
      attributes[attribute.uri ? `{${attribute.uri}}${attribute.local}` : attribute.local] = attribute.value;
    }
    const element: XmlElement = { ns: tag.uri ?? '', name: tag.local ?? tag.name, attributes, children: [], text: '' };
    stack.at(-1)?.children.push(element);
    root ??= element;
    stack.push(element);
  });
  parser.on('closetag', () => void stack.pop());
  const addText = (data: string) => {
    const current = stack.at(-1);
    if (current) current.text += data;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  try {
    parser.write(text).close();
  } catch (error) {
    throw failure ?? new XmlRefused((error as Error).message);
  }
  if (!root) throw new XmlRefused('no root element');
  return root;
}

/** The first child with this local name. */
export const child = (element: XmlElement, name: string): XmlElement | undefined =>
  element.children.find((candidate) => candidate.name === name);

export const childrenNamed = (element: XmlElement, name: string): XmlElement[] =>
  element.children.filter((candidate) => candidate.name === name);

/** `xsi:type`, without its prefix. */
export const xsiType = (element: XmlElement): string | undefined => element.attributes[`{${XSI}}type`]?.replace(/^.*:/, '');

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Text or (double-quoted) attribute content, escaped; characters XML 1.0 cannot carry are dropped. */
export const escapeXml = (value: string): string =>
  value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"]/g, (character) => ESCAPES[character]!);
