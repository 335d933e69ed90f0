/**
 * Writes vim25 values as SOAP XML, `xsi:type` on every value. Data objects are the same objects the vim25 JSON
 * binding answers with (`{ _typeName, ...fields }`, `ManagedObjectReference` as `{ type, value }`); the
 * field types, their order and the release each field needs come from ./types.ts. A value of an `anyType`
 * field (a property collector's `val`) says its own type: a data object by `_typeName`, anything else
 * wrapped by `typed()`.
 */
import { escapeXml } from './xml.js';
import { fieldsOf, type FieldType } from './types.js';
import { isAtLeast, type VimVersion } from './versions.js';

export interface MoRef {
  _typeName: 'ManagedObjectReference';
  type: string;
  value: string;
}

export const moRef = (type: string, value: string): MoRef => ({ _typeName: 'ManagedObjectReference', type, value });

/** A value of an `anyType` field: its XML schema type named (`xsd:string`, `ArrayOfManagedObjectReference`, an enum). */
export interface Typed {
  _typeName: '_typed';
  xsiType: string;
  value: unknown;
}

export const typed = (xsiType: string, value: unknown): Typed => ({ _typeName: '_typed', xsiType, value });

/** The element name of an `ArrayOfX`'s items: `ArrayOfString` → `string`, `ArrayOfManagedObjectReference` → `ManagedObjectReference`. */
const itemName = (arrayType: string): string => {
  const item = arrayType.slice('ArrayOf'.length);
  return /^(String|Int|Long|Boolean|DateTime|AnyType)$/.test(item) ? item[0]!.toLowerCase() + item.slice(1) : item;
};

const itemType = (arrayType: string): FieldType => {
  const item = itemName(arrayType);
  return item === 'anyType' ? 'xsd:anyType' : /^[a-z]/.test(item) ? `xsd:${item}` : item;
};

/** `xsd:dateTime` as vCenter writes it. */
const dateTime = (value: unknown): string => new Date(String(value)).toISOString();

function scalarText(type: FieldType, value: unknown): string {
  if (type === 'xsd:dateTime') return dateTime(value);
  if (type === 'xsd:boolean') return value ? 'true' : 'false';
  return escapeXml(String(value));
}

/** One element (or, for an array in a data object, one element per item). */
export function encodeElement(name: string, type: FieldType, value: unknown, version: VimVersion): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => encodeElement(name, type, item, version)).join('');
  const object = value as { _typeName?: string };
  if (object._typeName === '_typed') {
    const { xsiType, value: inner } = value as Typed;
    if (xsiType.startsWith('ArrayOf')) {
      const items = (inner as unknown[]).map((item) => encodeElement(itemName(xsiType), itemType(xsiType), item, version)).join('');
      return `<${name} xsi:type="${xsiType}">${items}</${name}>`;
    }
    return encodeElement(name, xsiType.startsWith('xsd:') ? xsiType : `enum:${xsiType}`, inner, version);
  }
  if (object._typeName === 'ManagedObjectReference') {
    const ref = value as MoRef;
    return `<${name} type="${escapeXml(ref.type)}" xsi:type="ManagedObjectReference">${escapeXml(ref.value)}</${name}>`;
  }
  if (type.startsWith('enum:')) return `<${name} xsi:type="${type.slice(5)}">${escapeXml(String(value))}</${name}>`;
  if (type.startsWith('xsd:') && type !== 'xsd:anyType') return `<${name} xsi:type="${type}">${scalarText(type, value)}</${name}>`;
  const typeName = object._typeName ?? type;
  return `<${name} xsi:type="${typeName}">${encodeFields(typeName, value as Record<string, unknown>, version)}</${name}>`;
}

/** A data object's fields in WSDL order; fields of later releases than the client's are left out. */
export function encodeFields(typeName: string, object: Record<string, unknown>, version: VimVersion): string {
  const fields = fieldsOf(typeName);
  if (!fields) throw new Error(`vim25 type ${typeName} is not declared in types.ts`);
  return fields
    .filter(([, spec]) => spec.since === undefined || isAtLeast(version, spec.since))
    .map(([field, spec]) => encodeElement(field, spec.type, object[field], version))
    .join('');
}
