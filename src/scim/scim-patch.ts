import { ScimError } from './scim-error';
import { coreName, Filter, matchesValueFilter, parsePatchPath, Path } from './scim-filter';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MAX_OPERATIONS = 1000;

/** An attribute of a resource type as PATCH sees it (names as the schema spells them). */
export interface AttributeShape {
  name: string;
  multiValued?: boolean;
  /** Sub-attributes of a complex attribute, as spelled. */
  subAttributes?: string[];
  /** id, meta, a user's groups: a PATCH that names them is a `mutability` error. */
  readOnly?: boolean;
}

/** A resource type's core schema and attributes. Attributes it does not list are accepted and ignored. */
export interface ResourceShape {
  schema: string;
  attributes: AttributeShape[];
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: Path;
  value?: unknown;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The Operations of a PatchOp body. Ops are read case-insensitively (Microsoft Entra ID sends
 * `Replace`, `Add`); a path is parsed here, so a bad one is refused before anything changes.
 */
export function parsePatchBody(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw ScimError.badRequest('invalidSyntax', 'The body must be a PatchOp object.');
  const schemas = body.schemas;
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())
  ) {
    throw ScimError.badRequest('invalidSyntax', `The body's schemas must hold ${PATCH_OP_SCHEMA}.`);
  }
  const operations = body.Operations ?? body.operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw ScimError.badRequest('invalidSyntax', 'Operations must be a non-empty array.');
  }
  if (operations.length > MAX_OPERATIONS) {
    throw ScimError.badRequest('invalidSyntax', `At most ${MAX_OPERATIONS} operations per request.`);
  }
  return operations.map((operation, index) => {
    if (!isObject(operation)) throw ScimError.badRequest('invalidSyntax', `Operations[${index}] must be an object.`);
    const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : undefined;
    if (op !== 'add' && op !== 'replace' && op !== 'remove') {
      throw ScimError.badRequest('invalidSyntax', `Operations[${index}].op must be add, replace or remove.`);
    }
    const path = operation.path;
    if (path !== undefined && (typeof path !== 'string' || path.trim() === '')) {
      throw ScimError.badRequest('invalidPath', `Operations[${index}].path must be a non-empty string.`);
    }
    if (op === 'remove' && path === undefined) {
      throw ScimError.badRequest('noTarget', `Operations[${index}]: remove needs a path.`);
    }
    if (op !== 'remove' && !('value' in operation)) {
      throw ScimError.badRequest('invalidValue', `Operations[${index}]: ${op} needs a value.`);
    }
    if (op !== 'remove' && path === undefined && !isObject(operation.value)) {
      throw ScimError.badRequest('invalidValue', `Operations[${index}]: without a path, the value must be an object.`);
    }
    return {
      op,
      ...(path !== undefined ? { path: parsePatchPath(path as string) } : {}),
      ...('value' in operation ? { value: operation.value } : {}),
    };
  });
}

/**
 * Applies the operations to the resource (its SCIM representation, changed in place), as RFC 7644
 * §3.5.2 says; the caller then takes the result as it takes a PUT. Attributes outside the shape
 * (another schema's, or ones this service does not keep) are ignored.
 */
export function applyPatch(resource: Json, operations: PatchOperation[], shape: ResourceShape): void {
  for (const operation of operations) {
    if (operation.path) {
      applyAt(resource, operation.op, operation.path, operation.value, shape);
      continue;
    }
    // No path: each key of the value is an attribute, or a path (Entra sends {"name.givenName": …}).
    for (const [key, value] of Object.entries(operation.value as Json)) {
      if (/^urn:/i.test(key) && !key.includes('.') && isObject(value)) continue; // an extension schema's object
      if (key.toLowerCase() === 'schemas') continue;
      applyAt(resource, operation.op, parsePatchPath(key), value, shape);
    }
  }
}

function attributeOf(path: Path, shape: ResourceShape): AttributeShape | undefined {
  const name = coreName(path.attr, shape.schema);
  if (name === undefined) return undefined;
  const attribute = shape.attributes.find((a) => a.name.toLowerCase() === name);
  if (attribute?.readOnly) throw ScimError.badRequest('mutability', `${attribute.name} is read-only.`);
  return attribute;
}

function subName(attribute: AttributeShape, sub: string): string {
  return attribute.subAttributes?.find((s) => s.toLowerCase() === sub.toLowerCase()) ?? sub;
}

function applyAt(resource: Json, op: PatchOperation['op'], path: Path, value: unknown, shape: ResourceShape): void {
  const attribute = attributeOf(path, shape);
  if (!attribute) return;
  const key = attribute.name;
  if (path.valueFilter) {
    if (!attribute.multiValued) throw ScimError.badRequest('invalidPath', `${key} is not multi-valued.`);
    applyFiltered(resource, op, attribute, path.valueFilter, path.sub, value);
    return;
  }
  const sub = path.attr.sub;
  if (sub !== undefined) {
    const name = subName(attribute, sub);
    if (attribute.multiValued) {
      for (const element of elements(resource, key)) setOrDelete(element, name, op, value);
      return;
    }
    const target = isObject(resource[key]) ? (resource[key] as Json) : (resource[key] = {});
    setOrDelete(target, name, op, value);
    return;
  }
  if (attribute.multiValued) {
    const given = (Array.isArray(value) ? value : [value]).map((v) => canonicalElement(attribute, v));
    if (op === 'remove') {
      // Entra removes members as {path: "members", value: [{value: id}]}: those only; no value: all.
      if (value === undefined) delete resource[key];
      else resource[key] = elements(resource, key).filter((e) => !given.some((g) => sameValue(e, g)));
    } else if (op === 'add') {
      const current = elements(resource, key);
      for (const element of given) if (!current.some((e) => sameValue(e, element))) current.push(element);
      resource[key] = current;
    } else {
      resource[key] = given;
    }
    return;
  }
  if (op === 'remove') {
    delete resource[key];
  } else if (attribute.subAttributes && isObject(value)) {
    const target = isObject(resource[key]) ? (resource[key] as Json) : {};
    for (const [name, subValue] of Object.entries(value)) target[subName(attribute, name)] = subValue;
    resource[key] = target;
  } else {
    resource[key] = value;
  }
}

function applyFiltered(
  resource: Json,
  op: PatchOperation['op'],
  attribute: AttributeShape,
  filter: Filter,
  sub: string | undefined,
  value: unknown,
): void {
  const key = attribute.name;
  const current = elements(resource, key);
  const matches = current.filter((element) => matchesValueFilter(element, filter));
  if (op === 'remove') {
    if (sub === undefined) resource[key] = current.filter((element) => !matches.includes(element));
    else for (const element of matches) delete element[subName(attribute, sub)];
    return;
  }
  if (matches.length === 0) {
    // `emails[type eq "work"].value` on a user without a work address adds one (what Entra expects).
    const seed = seedOf(filter);
    if (!seed) throw ScimError.badRequest('noTarget', `No value of ${key} matches the path's filter.`);
    const element = canonicalElement(attribute, seed);
    current.push(element);
    resource[key] = current;
    matches.push(element);
  }
  for (const element of matches) {
    if (sub !== undefined) element[subName(attribute, sub)] = value;
    else if (isObject(value)) for (const [name, v] of Object.entries(value)) element[subName(attribute, name)] = v;
    else throw ScimError.badRequest('invalidValue', `The value for ${key}[…] must be an object.`);
  }
}

/** The element a filter such as `type eq "work"` describes, to add when none matches. */
function seedOf(filter: Filter): Json | undefined {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || filter.path.valueFilter || filter.path.attr.sub)
    return undefined;
  return { [filter.path.attr.name]: filter.value };
}

function elements(resource: Json, key: string): Json[] {
  const value = resource[key];
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function canonicalElement(attribute: AttributeShape, value: unknown): Json {
  if (!isObject(value)) return { value };
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [subName(attribute, name), v]));
}

function sameValue(a: Json, b: Json): boolean {
  return (
    a.value !== undefined &&
    typeof a.value === typeof b.value &&
    String(a.value).toLowerCase() === String(b.value).toLowerCase()
  );
}

function setOrDelete(target: Json, name: string, op: PatchOperation['op'], value: unknown): void {
  if (op === 'remove') delete target[name];
  else target[name] = value;
}
