import { z, type core } from 'zod';

/**
 * The messages clients have always seen in `Invalid value for <field>: <message>.` are zod 3's; zod 4 words
 * them differently ("Invalid input: expected object, received undefined" for "Required"). Clients and their
 * scripts match on these, so the wire keeps the zod 3 wording. Messages a schema sets itself still win.
 */
type Issue = core.$ZodRawIssue;

const parsedType = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : 'number';
  return typeof value;
};
const quoted = (values: readonly unknown[]) => values.map((value) => `'${String(value)}'`).join(' | ');

function tooSmall(origin: string, minimum: unknown, inclusive?: boolean, exact?: boolean): string {
  if (origin === 'string') return `String must contain ${exact ? 'exactly' : inclusive ? 'at least' : 'over'} ${minimum} character(s)`;
  if (origin === 'array') return `Array must contain ${exact ? 'exactly' : inclusive ? 'at least' : 'more than'} ${minimum} element(s)`;
  if (origin === 'number' || origin === 'int') {
    return `Number must be ${exact ? 'exactly equal to ' : inclusive ? 'greater than or equal to ' : 'greater than '}${minimum}`;
  }
  return 'Invalid input';
}

function tooBig(origin: string, maximum: unknown, inclusive?: boolean, exact?: boolean): string {
  if (origin === 'string') return `String must contain ${exact ? 'exactly' : inclusive ? 'at most' : 'under'} ${maximum} character(s)`;
  if (origin === 'array') return `Array must contain ${exact ? 'exactly' : inclusive ? 'at most' : 'less than'} ${maximum} element(s)`;
  if (origin === 'number' || origin === 'int') return `Number must be ${exact ? 'exactly' : inclusive ? 'less than or equal to' : 'less than'} ${maximum}`;
  return 'Invalid input';
}

export function zod3Message(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'Required';
      if (issue.expected === 'int' && typeof issue.input === 'number') return 'Expected integer, received float';
      return `Expected ${issue.expected === 'int' ? 'integer' : issue.expected}, received ${parsedType(issue.input)}`;
    }
    case 'too_small':
      return tooSmall(issue.origin, issue.minimum, issue.inclusive, issue.exact);
    case 'too_big':
      return tooBig(issue.origin, issue.maximum, issue.inclusive, issue.exact);
    case 'invalid_format':
      return issue.format === 'regex' ? 'Invalid' : `Invalid ${issue.format === 'guid' ? 'uuid' : issue.format}`;
    case 'invalid_value':
      return (issue.inst as { _zod?: { def?: { type?: string } } } | undefined)?._zod?.def?.type === 'literal'
        ? `Invalid literal value, expected ${JSON.stringify(issue.values[0])}`
        : `Invalid enum value. Expected ${quoted(issue.values)}, received '${String(issue.input)}'`;
    case 'unrecognized_keys':
      return `Unrecognized key(s) in object: ${issue.keys.map((key: string) => `'${key}'`).join(', ')}`;
    case 'invalid_key':
      // zod 3 reported the key's own issue (e.g. a regex's message); zod 4 wraps it.
      return issue.issues[0]?.message ?? 'Invalid input';
    case 'not_multiple_of':
      return `Number must be a multiple of ${issue.divisor}`;
    default:
      return 'Invalid input';
  }
}

z.config({ customError: zod3Message });
