/**
 * Task argument schemas: `registerTask(name, func, { argsSchema })` takes a JSON Schema (draft-07
 * keywords) that says the shape and types of a job's `args`. It is checked when a job is created or its
 * args or task change (add, replaceExisting, POST /jobs with or without an id, config reconcile), so a
 * job that can never work is refused then with an InvalidArgumentError naming the field (`args.url`),
 * HTTP 400; and again before each run, since a stored job's args may predate the schema.
 *
 * Schemas are compiled once, at registration, with Ajv in strict mode: an unknown keyword or a malformed
 * schema is refused there, not ignored. `format` is an annotation only (shape and types, not content).
 * Messages name the field and what was expected, never the value: args may hold credentials.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidArgumentError, type ErrorDetail } from '../core/errors.js';

/** Throws an InvalidArgumentError naming each wrong field of `args`; returns normally when they fit. */
export type ArgsValidator = (args: unknown) => void;

/** At most this many fields are named in one refusal. */
const MAX_DETAILS = 5;

let shared: Ajv | undefined;

/** One Ajv for every scheduler: compiled validators are plain functions and hold no per-scheduler state. */
function ajv(): Ajv {
  shared ??= new Ajv({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    validateFormats: false,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    // Schemas with the same $id may be registered by two schedulers: none is kept in Ajv's registry.
    addUsedSchema: false,
    // Each error carries its schema, for the allowed fields and values.
    verbose: true,
  });
  return shared;
}

/** Compiles `schema`; throws an InvalidArgumentError at `where` when it is not a usable JSON Schema. */
export function compileArgsSchema(schema: unknown, where: string): ArgsValidator {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw InvalidArgumentError.field(
      where,
      `must be a JSON Schema object, e.g. { type: "object", required: ["url"], properties: { url: { type: "string" } } }.`,
    );
  }
  let validate: ValidateFunction;
  try {
    validate = ajv().compile(schema);
  } catch (error) {
    throw InvalidArgumentError.field(where, `is not a usable JSON Schema: ${(error as Error).message}.`);
  }
  return (args) => {
    if (validate(args)) return;
    const details = (validate.errors ?? []).slice(0, MAX_DETAILS).map(detailOf);
    throw new InvalidArgumentError(details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
  };
}

/** `args.headers.accept` or `args.items[2]` from a JSON Pointer such as `/headers/accept`. */
function pathOf(pointer: string): string {
  let path = 'args';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
  }
  return path;
}

/** A value's JSON type, never the value itself. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'none (no args)';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function listed(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function detailOf(error: ErrorObject): ErrorDetail {
  const path = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: `${path}.${String(params.missingProperty)}`, message: 'is required.' };
    case 'additionalProperties': {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        path: `${path}.${String(params.additionalProperty)}`,
        message: known.length === 0 ? 'is not an allowed field.' : `is not an allowed field; the fields are ${known.join(', ')}.`,
      };
    }
    case 'type':
      return { path, message: `must be ${String(params.type).replace(/,/g, ' or ')}, got ${typeName(error.data)}.` };
    case 'enum':
      return { path, message: `must be one of ${listed(params.allowedValues as unknown[])}.` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}.` };
    default:
      return { path, message: `${error.message ?? 'is invalid'}.` };
  }
}
