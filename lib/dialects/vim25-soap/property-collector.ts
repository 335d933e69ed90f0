/**
 * vim25's PropertyCollector over a tenant's inventory (./graph.ts): the PropertyFilterSpecs clients send
 * (object specs, traversal specs followed by path and type, selection specs naming traversal specs, `skip`),
 * the properties each object type's PropertySpec asks, and paging by `maxObjects` with a token. The token
 * carries the specs and the offset (the collector keeps nothing between calls; the session scopes what a
 * token can read, so a forged one reads nothing the caller could not ask for directly).
 */
import * as z from 'zod';
import { InvalidArgument } from '../../core/errors.js';
import type { MoRef } from './encoding.js';
import { moRef } from './encoding.js';
import { objectNotFound, type TenantGraph } from './graph.js';
import { isA, propertyNames, propertyValue } from './inventory.js';
import { Bool, complex, Int, many, maybe, MoRefParam, one, Text } from './params.js';

interface SelectionSpec {
  name?: string;
  /** Set for a TraversalSpec. */
  traversal?: { type: string; path: string; skip: boolean };
  selectSet: SelectionSpec[];
}

const SelectionSpecSchema: z.ZodType<SelectionSpec, unknown> = z.lazy(() =>
  complex(z
    .object({
      _xsiType: z.string().optional(),
      name: maybe(Text),
      type: maybe(Text),
      path: maybe(Text),
      skip: maybe(Bool),
      selectSet: many(SelectionSpecSchema, 100),
    })
    .transform((spec) => ({
      name: spec.name,
      traversal: spec.type !== undefined && spec.path !== undefined ? { type: spec.type, path: spec.path, skip: spec.skip ?? false } : undefined,
      selectSet: spec.selectSet,
    }))),
);

const PropertySpecSchema = complex(z.object({
  type: one(Text),
  all: maybe(Bool),
  pathSet: many(Text, 200),
}));

const ObjectSpecSchema = complex(z.object({
  obj: one(MoRefParam),
  skip: maybe(Bool),
  selectSet: many(SelectionSpecSchema, 100),
}));

export const FilterSpecSchema = complex(z.object({
  propSet: many(PropertySpecSchema, 100),
  objectSet: many(ObjectSpecSchema, 1000),
}));
export type FilterSpec = z.output<typeof FilterSpecSchema>;

export const RetrieveOptionsSchema = complex(z.object({ maxObjects: maybe(Int) }));

/** Every traversal spec with a name, anywhere in the filter, for selection specs to name. */
function namedSpecs(spec: FilterSpec): Map<string, SelectionSpec> {
  const named = new Map<string, SelectionSpec>();
  const collect = (selections: SelectionSpec[]) => {
    for (const selection of selections) {
      if (selection.name && selection.traversal && !named.has(selection.name)) {
        named.set(selection.name, selection);
        collect(selection.selectSet);
      } else if (selection.traversal) collect(selection.selectSet);
    }
  };
  for (const object of spec.objectSet) collect(object.selectSet);
  return named;
}

const key = (ref: MoRef) => `${ref.type}:${ref.value}`;

/** The objects a filter reaches, in walk order, each once; those its `skip` left out are not reported. */
async function walk(graph: TenantGraph, spec: FilterSpec): Promise<MoRef[]> {
  const named = namedSpecs(spec);
  const reported = new Map<string, MoRef>();
  const followed = new Set<string>();
  let steps = 0;
  const visit = async (ref: MoRef, skip: boolean, selections: SelectionSpec[]): Promise<void> => {
    if (++steps > 100_000) throw InvalidArgument('The property filter reaches too many objects.', { field: 'specSet' });
    if (!skip && !reported.has(key(ref))) reported.set(key(ref), ref);
    for (const selection of selections) {
      const traversal = selection.traversal ? selection : selection.name ? named.get(selection.name) : undefined;
      if (!traversal?.traversal || !isA(ref.type, traversal.traversal.type)) continue;
      const step = `${key(ref)}>${traversal.traversal.type}.${traversal.traversal.path}>${traversal.name ?? ''}`;
      if (followed.has(step)) continue;
      followed.add(step);
      const [properties] = await graph.properties([ref], [traversal.traversal.path]);
      const value = properties && propertyValue(ref.type, properties, traversal.traversal.path);
      for (const next of referencesIn(value)) await visit(next, traversal.traversal.skip, traversal.selectSet);
    }
  };
  for (const object of spec.objectSet) {
    const ref = moRef(object.obj.type, object.obj.value);
    // vCenter refuses a filter whose starting object does not exist (another tenant's VM included).
    const [exists] = await graph.properties([ref], []);
    if (!exists) throw objectNotFound(ref);
    await visit(ref, object.skip ?? false, object.selectSet);
  }
  return [...reported.values()];
}

/** The managed object references in a property value (one, or an ArrayOfManagedObjectReference). */
function referencesIn(value: unknown): MoRef[] {
  if (!value || typeof value !== 'object') return [];
  const object = value as { _typeName?: string; value?: unknown };
  if (object._typeName === 'ManagedObjectReference') return [value as MoRef];
  if (object._typeName === '_typed' && Array.isArray(object.value)) return object.value.filter((item) => item?._typeName === 'ManagedObjectReference');
  return [];
}

/** The paths a filter asks of an object of `type`, or undefined when none of its PropertySpecs names the type. */
function pathsFor(spec: FilterSpec, type: string): string[] | 'all' | undefined {
  const specs = spec.propSet.filter((property) => isA(type, property.type));
  if (specs.length === 0) return undefined;
  if (specs.some((property) => property.all)) return 'all';
  return [...new Set(specs.flatMap((property) => property.pathSet))];
}

export interface ObjectContent {
  _typeName: 'ObjectContent';
  obj: MoRef;
  propSet: { _typeName: 'DynamicProperty'; name: string; val: unknown }[];
}

/** The ObjectContent of every reported object whose type the filter asks properties of, `offset` on, at most `limit`. */
export async function retrieve(graph: TenantGraph, specs: FilterSpec[], offset: number, limit: number): Promise<{ objects: ObjectContent[]; more: boolean }> {
  const wanted: { ref: MoRef; paths: string[] | 'all' }[] = [];
  for (const spec of specs) {
    for (const ref of await walk(graph, spec)) {
      const paths = pathsFor(spec, ref.type);
      if (paths !== undefined) wanted.push({ ref, paths });
    }
  }
  const page = wanted.slice(offset, offset + limit);
  const objects: ObjectContent[] = [];
  // Objects of a type read together (one VM list, one tools read per VM), by the union of their paths.
  const allPaths = page.some((item) => item.paths === 'all') ? 'all' : [...new Set(page.flatMap((item) => item.paths as string[]))];
  const properties = await graph.properties(page.map((item) => item.ref), allPaths);
  page.forEach(({ ref, paths }, index) => {
    const found = properties[index];
    if (!found) return; // an object that is gone is left out, as vCenter leaves out objects deleted meanwhile
    const names = paths === 'all' ? propertyNames(ref.type) : paths;
    const propSet = names.flatMap((name) => {
      const val = propertyValue(ref.type, found, name);
      return val === undefined ? [] : [{ _typeName: 'DynamicProperty' as const, name, val }];
    });
    objects.push({ _typeName: 'ObjectContent', obj: ref, propSet });
  });
  return { objects, more: wanted.length > offset + limit };
}

/** The continuation token of a page: the specs and where the next page starts. */
export const continuationToken = (specs: unknown[], offset: number): string =>
  Buffer.from(JSON.stringify({ specs, offset })).toString('base64url');

export function readToken(token: string): { specs: unknown; offset: number } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed;
  } catch {
    // refused below
  }
  throw InvalidArgument('The token is not one this property collector issued.', { field: 'token' });
}
