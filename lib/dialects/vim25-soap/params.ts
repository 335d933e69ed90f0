/**
 * A method's parameters, read from its XML element into plain values that a zod schema then validates:
 * every parameter is a list of its occurrences; a leaf is its text, or `{ type, value }` when it carries a
 * `type` attribute (a ManagedObjectReference); a complex value is an object of its children, with its
 * `xsi:type` (a TraversalSpec among SelectionSpecs) as `_xsiType`.
 */
import * as z from 'zod';
import { invalidInput } from '../../http/validate.js';
import type { XmlElement } from './xml.js';
import { xsiType } from './xml.js';

export type XmlValue = string | { type: string; value: string } | XmlObject;
export interface XmlObject {
  _xsiType?: string;
  [name: string]: XmlValue[] | string | undefined;
}

function valueOf(element: XmlElement): XmlValue {
  if (element.children.length === 0) {
    return element.attributes.type === undefined ? element.text : { type: element.attributes.type, value: element.text.trim() };
  }
  const object: XmlObject = {};
  const type = xsiType(element);
  if (type) object._xsiType = type;
  for (const item of element.children) {
    if (item.name === '_xsiType') continue;
    ((object[item.name] ??= []) as XmlValue[]).push(valueOf(item));
  }
  return object;
}

/** The parameters of a call (its children but `_this`). */
export function paramsOf(call: XmlElement): XmlObject {
  const params: XmlObject = {};
  for (const item of call.children) {
    if (item.name === '_this') continue;
    ((params[item.name] ??= []) as XmlValue[]).push(valueOf(item));
  }
  return params;
}

/** A complex value: an element with no children reads as an empty string, which is an object with no fields. */
export const complex = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? {} : value), schema);

/** Exactly one occurrence. */
export const one = <T extends z.ZodType>(schema: T) => z.tuple([schema]).transform(([value]) => value as z.output<T>);
/** At most one occurrence. */
export const maybe = <T extends z.ZodType>(schema: T) => z.tuple([schema]).optional().transform((value) => value?.[0] as z.output<T> | undefined);
/** Any number of occurrences. */
export const many = <T extends z.ZodType>(schema: T, max = 1000) => z.array(schema).max(max).default([]);

export const Text = z.string().max(65_536);
export const Bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');
export const Int = z.string().regex(/^\s*-?\d{1,10}\s*$/).transform(Number);
export const MoRefParam = z.object({ type: z.string().min(1).max(80), value: z.string().max(1024) });

/**
 * InvalidArgument naming the parameter as clients know it (`ticketType`, `specSet.propSet.type`): each
 * parameter is a list of its occurrences, whose index is no part of its name.
 */
export const invalidParams = (error: z.ZodError, under: string[] = []) =>
  invalidInput(
    new z.ZodError(error.issues.map((issue) => ({ ...issue, path: ['body', ...under, ...issue.path.filter((part) => typeof part !== 'number')] }))),
  );
