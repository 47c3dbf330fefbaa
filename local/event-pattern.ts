/**
 * Amazon EventBridge event pattern matching, so that the local event bus delivers an event to exactly the
 * rules that the deployed bus would deliver it to.
 *
 * Semantics follow the EventBridge user guide ("Event patterns", "Content filtering", "Arrays in event
 * patterns", "Matching null values and empty strings") and, where the guide is silent, the behaviour of
 * aws/event-ruler, the engine EventBridge runs:
 * - the fields of a pattern are ANDed, the values listed for one field are ORed, `$or` ORs whole sub-patterns;
 * - a leaf in the event that is an array matches when any of its elements matches;
 * - an object pattern applied to an array of objects must match within a single element, never by combining
 *   fields of different elements (event-ruler's "array consistency");
 * - a field whose value is an object is not a leaf: for leaf matchers it counts as absent;
 * - operators compare with JSON types: `prefix`, `suffix`, `equals-ignore-case`, `wildcard` and `cidr` only
 *   match strings, `numeric` only matches numbers, and `"5"` never equals `5`;
 * - a field absent from the event matches only `{ "exists": false }`; `anything-but` needs the field present.
 *
 * @packageDocumentation
 */

/** An EventBridge event pattern as a parsed JSON object. */
export type EventPattern = Record<string, unknown>;

/** A JSON scalar as it can appear at a leaf of an event. */
type Leaf = string | number | boolean | null;

/** How a single match expression (one element of a field's list) tests the leaf values it is given. */
type Matcher = { kind: 'exists'; present: boolean } | { kind: 'value'; test: (value: Leaf) => boolean };

const OR_KEY = '$or';

/** Operator names; inside `$or` event-ruler also refuses them as field names, to keep the two apart. */
const OPERATORS = new Set([
  'anything-but',
  'cidr',
  'equals-ignore-case',
  'exists',
  'numeric',
  'prefix',
  'suffix',
  'wildcard',
]);

const ANYTHING_BUT_OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard']);

/** EventBridge stores numbers for `numeric` and numeric `anything-but` in this range only. */
const NUMERIC_LIMIT = 5e9;

const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);

/**
 * Tells whether an EventBridge event matches an event pattern.
 *
 * Never throws: a malformed part of the pattern simply matches nothing, so run {@link validatePattern} on
 * rules when they are loaded to find such mistakes.
 *
 * @param pattern - the rule's event pattern, e.g. `{ source: [{ prefix: 'commerce.' }] }`
 * @param event - the whole event: `{ version, id, 'detail-type', source, account, time, region, resources, detail }`
 * @returns true when the event satisfies every field of the pattern
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return matchNode(pattern, event);
}

/**
 * Lists what is wrong with an event pattern, in the spirit of the errors PutRule returns, so a bad rule is
 * refused at startup rather than silently never matching.
 *
 * @param pattern - a candidate event pattern, typically straight from configuration or JSON
 * @returns one message per problem, each starting with the path of the offending part; empty when valid
 */
export function validatePattern(pattern: unknown): string[] {
  const problems: string[] = [];
  if (!isPlainObject(pattern)) {
    problems.push(`pattern: must be a JSON object, got ${describe(pattern)}`);
    return problems;
  }
  validateObject(pattern, '', false, problems);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Matching

function matchNode(pattern: Record<string, unknown>, value: unknown): boolean {
  if (Array.isArray(value)) {
    const elements = value.flat(Number.POSITIVE_INFINITY);
    // An empty array contributes no fields at all, which is what exists:false looks for.
    if (elements.length === 0) return matchFields(pattern, undefined);
    // Each element on its own, so that fields from different elements never combine into one match.
    return elements.some((element) => matchFields(pattern, element));
  }
  return matchFields(pattern, value);
}

function matchFields(pattern: Record<string, unknown>, value: unknown): boolean {
  const object = isPlainObject(value) ? value : undefined;
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === OR_KEY && Array.isArray(sub)) {
      // Branches see the same object (or array element) as their siblings: $or adds no level of nesting.
      if (!sub.some((branch) => isPlainObject(branch) && matchFields(branch, value))) return false;
      continue;
    }
    const field = object && Object.hasOwn(object, key) ? object[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, field)) return false;
    } else if (isPlainObject(sub)) {
      if (!matchNode(sub, field)) return false;
    } else {
      return false;
    }
  }
  return true;
}

function matchLeaf(expressions: unknown[], field: unknown): boolean {
  const values = leafValues(field, []);
  return expressions.some((expression) => {
    const matcher = toMatcher(expression);
    if (!matcher) return false;
    if (matcher.kind === 'exists') return values.length > 0 === matcher.present;
    return values.some(matcher.test);
  });
}

/** The scalars found at a field, with arrays flattened; objects are not leaves and contribute nothing. */
function leafValues(value: unknown, out: Leaf[]): Leaf[] {
  if (Array.isArray(value)) {
    for (const element of value) leafValues(element, out);
  } else if (isLeaf(value)) {
    out.push(value);
  }
  return out;
}

function toMatcher(expression: unknown): Matcher | undefined {
  if (isLeaf(expression)) return { kind: 'value', test: (value) => value === expression };
  if (!isPlainObject(expression)) return undefined;
  const entries = Object.entries(expression);
  if (entries.length !== 1) return undefined;
  const [operator, operand] = entries[0]!;
  switch (operator) {
    case 'exists':
      return typeof operand === 'boolean' ? { kind: 'exists', present: operand } : undefined;
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard': {
      const test = stringTest(operator, operand);
      return test && { kind: 'value', test: (value) => typeof value === 'string' && test(value) };
    }
    case 'numeric': {
      const test = numericTest(operand);
      return test && { kind: 'value', test: (value) => typeof value === 'number' && test(value) };
    }
    case 'cidr': {
      const range = typeof operand === 'string' ? parseCidr(operand) : undefined;
      return range && { kind: 'value', test: (value) => typeof value === 'string' && inCidr(range, value) };
    }
    case 'anything-but': {
      const excluded = anythingButTest(operand);
      return excluded && { kind: 'value', test: (value) => !excluded(value) };
    }
    default:
      return undefined;
  }
}

/** A test on string values for `prefix`, `suffix`, `equals-ignore-case` or `wildcard` with one operand. */
function stringTest(operator: string, operand: unknown): ((value: string) => boolean) | undefined {
  // prefix and suffix also take { "equals-ignore-case": "..." } to compare without regard to case.
  const ignoreCase = isPlainObject(operand) && (operator === 'prefix' || operator === 'suffix');
  const text = ignoreCase ? singleEntry(operand, 'equals-ignore-case') : operand;
  if (typeof text !== 'string') return undefined;
  switch (operator) {
    case 'prefix':
      return ignoreCase ? (value) => fold(value).startsWith(fold(text)) : (value) => value.startsWith(text);
    case 'suffix':
      return ignoreCase ? (value) => fold(value).endsWith(fold(text)) : (value) => value.endsWith(text);
    case 'equals-ignore-case':
      return (value) => fold(value) === fold(text);
    case 'wildcard': {
      const parsed = parseWildcard(text);
      return typeof parsed === 'string' ? undefined : (value) => wildcardMatches(parsed, value);
    }
    default:
      return undefined;
  }
}

/** The predicate "this value is excluded" for an `anything-but` operand. */
function anythingButTest(operand: unknown): ((value: Leaf) => boolean) | undefined {
  if (typeof operand === 'string' || typeof operand === 'number') return (value) => value === operand;
  if (Array.isArray(operand)) return (value) => operand.includes(value);
  if (!isPlainObject(operand)) return undefined;
  const entries = Object.entries(operand);
  if (entries.length !== 1) return undefined;
  const [operator, argument] = entries[0]!;
  if (!ANYTHING_BUT_OPERATORS.has(operator)) return undefined;
  const tests = (Array.isArray(argument) ? argument : [argument]).map((text) => stringTest(operator, text));
  if (tests.length === 0 || tests.some((test) => !test)) return undefined;
  // A number or null cannot start with, end with or equal a string, so it is never excluded.
  return (value) => typeof value === 'string' && tests.some((test) => test!(value));
}

function numericTest(operand: unknown): ((value: number) => boolean) | undefined {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) return undefined;
  const comparisons: Array<(value: number) => boolean> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const operator = operand[i];
    const bound = operand[i + 1];
    if (typeof bound !== 'number') return undefined;
    switch (operator) {
      case '=':
        comparisons.push((value) => value === bound);
        break;
      case '<':
        comparisons.push((value) => value < bound);
        break;
      case '<=':
        comparisons.push((value) => value <= bound);
        break;
      case '>':
        comparisons.push((value) => value > bound);
        break;
      case '>=':
        comparisons.push((value) => value >= bound);
        break;
      default:
        return undefined;
    }
  }
  return (value) => comparisons.every((compare) => compare(value));
}

/**
 * Case folding for the `equals-ignore-case` family. Lower-casing is what a JavaScript reader expects; it can
 * differ from the Java engine on rare characters whose case mapping changes length (e.g. "ß").
 */
function fold(text: string): string {
  return text.toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------
// Wildcards: `*` matches any run of characters (also none); `\*` is a literal asterisk, `\\` a backslash.

/** The literal pieces between wildcards, or a message when the wildcard expression is invalid. */
function parseWildcard(expression: string): string[] | string {
  const pieces: string[] = [];
  let current = '';
  for (let i = 0; i < expression.length; i++) {
    const char = expression[i];
    if (char === '*') {
      if (expression[i + 1] === '*') return `consecutive wildcard characters at position ${i}`;
      pieces.push(current);
      current = '';
    } else if (char === '\\') {
      const next = expression[i + 1];
      if (next !== '*' && next !== '\\') {
        return `invalid escape at position ${i}: only \\* and \\\\ may be escaped`;
      }
      current += next;
      i++;
    } else {
      current += char;
    }
  }
  pieces.push(current);
  return pieces;
}

function wildcardMatches(pieces: string[], value: string): boolean {
  if (pieces.length === 1) return value === pieces[0];
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  // With only `*` as a wildcard, taking the leftmost occurrence of each middle piece is always safe.
  const end = value.length - last.length;
  let position = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = value.indexOf(piece, position);
    if (found < 0 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks, IPv4 and IPv6, as big integers.

interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

interface CidrRange {
  version: 4 | 6;
  network: bigint;
  prefixLength: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  let value = 0n;
  for (const part of match.slice(1)) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined): string[] => (half ? half.split(':') : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const words: number[] = [];
  const all = [...head, ...tail];
  // The last 32 bits may be written as a dotted IPv4 address, e.g. ::ffff:192.0.2.1.
  const last = all[all.length - 1];
  const embedded = last?.includes('.') ? parseIpv4(last) : undefined;
  if (last?.includes('.') && embedded === undefined) return undefined;
  const hexGroups = embedded === undefined ? all : all.slice(0, -1);
  for (const group of hexGroups) {
    if (!IPV6_GROUP.test(group)) return undefined;
    words.push(Number.parseInt(group, 16));
  }
  if (embedded !== undefined) words.push(Number(embedded >> 16n), Number(embedded & 0xffffn));
  const compressed = halves.length === 2;
  // An embedded IPv4 address ends the address, so nothing, not even "::", may follow it.
  if (embedded !== undefined && compressed && tail.length === 0) return undefined;
  if (compressed ? words.length > 7 : words.length !== 8) return undefined;
  // Zeros stand in for the "::" between the groups written before it and those written after it.
  const filled = compressed
    ? [
        ...words.slice(0, head.length),
        ...new Array<number>(8 - words.length).fill(0),
        ...words.slice(head.length),
      ]
    : words;
  return filled.reduce((value, word) => (value << 16n) | BigInt(word), 0n);
}

function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/** A CIDR block, or a message explaining why the text is not one. */
function parseCidrOrProblem(text: string): CidrRange | string {
  const parts = text.split('/');
  if (parts.length !== 2) return 'must be an address and a prefix length, such as "10.0.0.0/24"';
  const [address, length] = parts as [string, string];
  const ip = parseIp(address);
  if (!ip) return `"${address}" is not an IPv4 or IPv6 address`;
  const width = ip.version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(length) || Number(length) > width) {
    return `prefix length must be an integer from 0 to ${width}`;
  }
  const prefixLength = Number(length);
  return { version: ip.version, network: ip.value >> BigInt(width - prefixLength), prefixLength };
}

function parseCidr(text: string): CidrRange | undefined {
  const parsed = parseCidrOrProblem(text);
  return typeof parsed === 'string' ? undefined : parsed;
}

function inCidr(range: CidrRange, text: string): boolean {
  const ip = parseIp(text);
  if (!ip || ip.version !== range.version) return false;
  const width = ip.version === 4 ? 32 : 128;
  return ip.value >> BigInt(width - range.prefixLength) === range.network;
}

// ---------------------------------------------------------------------------------------------------------
// Validation

function validateObject(
  node: Record<string, unknown>,
  path: string,
  insideOr: boolean,
  problems: string[],
): void {
  const keys = Object.keys(node);
  if (keys.length === 0) problems.push(`${label(path)}: empty objects are not allowed`);
  for (const key of keys) {
    const value = node[key];
    const here = join(path, key);
    if (key === OR_KEY) {
      validateOr(value, here, problems);
      continue;
    }
    if (insideOr && OPERATORS.has(key)) {
      problems.push(`${here}: "${key}" is an operator and cannot be used as a field name inside $or`);
    }
    if (Array.isArray(value)) {
      validateMatchList(value, here, problems);
    } else if (isPlainObject(value)) {
      validateObject(value, here, insideOr, problems);
    } else {
      // The most common slip is an operator or a value not wrapped in the field's array.
      const hint = OPERATORS.has(key)
        ? ` (to use "${key}", wrap it in the field's array: [{ "${key}": ... }])`
        : ' (wrap values in an array, e.g. ["value"])';
      problems.push(`${here}: must be an object or an array, got ${describe(value)}${hint}`);
    }
  }
}

function validateOr(value: unknown, path: string, problems: string[]): void {
  if (!Array.isArray(value)) {
    problems.push(`${path}: must be an array of at least 2 objects, got ${describe(value)}`);
    return;
  }
  if (value.length < 2) problems.push(`${path}: must contain at least 2 objects, got ${value.length}`);
  value.forEach((branch, index) => {
    const here = `${path}[${index}]`;
    if (isPlainObject(branch)) validateObject(branch, here, true, problems);
    else problems.push(`${here}: must be an object, got ${describe(branch)}`);
  });
}

function validateMatchList(list: unknown[], path: string, problems: string[]): void {
  if (list.length === 0) problems.push(`${path}: empty arrays are not allowed`);
  list.forEach((expression, index) => {
    const here = `${path}[${index}]`;
    if (typeof expression === 'number' && !Number.isFinite(expression)) {
      problems.push(`${here}: numbers must be finite, got ${expression}`);
    } else if (isPlainObject(expression)) {
      validateExpression(expression, here, problems);
    } else if (!isLeaf(expression)) {
      problems.push(
        `${here}: match values must be strings, numbers, booleans, null or operator objects, got ${describe(expression)}`,
      );
    }
  });
}

function validateExpression(expression: Record<string, unknown>, path: string, problems: string[]): void {
  const keys = Object.keys(expression);
  if (keys.length !== 1) {
    problems.push(
      keys.length === 0
        ? `${path}: empty match expression, expected one operator such as { "prefix": "..." }`
        : `${path}: a match expression takes exactly one operator, got ${keys.map((k) => `"${k}"`).join(', ')}`,
    );
    return;
  }
  const operator = keys[0]!;
  const operand = expression[operator];
  const here = `${path}.${operator}`;
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      if (typeof operand === 'string') break;
      const text = isPlainObject(operand) ? singleEntry(operand, 'equals-ignore-case') : undefined;
      if (typeof text !== 'string') {
        problems.push(
          `${here}: must be a string or { "equals-ignore-case": string }, got ${describe(operand)}`,
        );
      }
      break;
    }
    case 'equals-ignore-case':
      if (typeof operand !== 'string') problems.push(`${here}: must be a string, got ${describe(operand)}`);
      break;
    case 'wildcard':
      validateWildcard(operand, here, problems);
      break;
    case 'exists':
      if (typeof operand !== 'boolean')
        problems.push(`${here}: must be true or false, got ${describe(operand)}`);
      break;
    case 'cidr': {
      const parsed = typeof operand === 'string' ? parseCidrOrProblem(operand) : 'must be a string';
      if (typeof parsed === 'string') problems.push(`${here}: ${parsed}, got ${describe(operand)}`);
      break;
    }
    case 'numeric':
      validateNumeric(operand, here, problems);
      break;
    case 'anything-but':
      validateAnythingBut(operand, here, problems);
      break;
    default:
      problems.push(`${path}: unknown operator "${operator}"`);
  }
}

function validateWildcard(operand: unknown, path: string, problems: string[]): void {
  if (typeof operand !== 'string') {
    problems.push(`${path}: must be a string, got ${describe(operand)}`);
    return;
  }
  const parsed = parseWildcard(operand);
  if (typeof parsed === 'string') problems.push(`${path}: ${parsed} in ${JSON.stringify(operand)}`);
}

function validateNumeric(operand: unknown, path: string, problems: string[]): void {
  const shape = 'must be [operator, number] or [">" or ">=", number, "<" or "<=", number]';
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    problems.push(`${path}: ${shape}, got ${describe(operand)}`);
    return;
  }
  const [operator, bound, upperOperator, upperBound] = operand as unknown[];
  const operatorsOk =
    operand.length === 2
      ? operator === '=' || LOWER_BOUNDS.has(operator as string) || UPPER_BOUNDS.has(operator as string)
      : LOWER_BOUNDS.has(operator as string) && UPPER_BOUNDS.has(upperOperator as string);
  if (!operatorsOk) problems.push(`${path}: ${shape}, got ${JSON.stringify(operand)}`);
  const bounds = operand.length === 2 ? [bound] : [bound, upperBound];
  for (const value of bounds) validateNumber(value, path, problems);
  if (
    operand.length === 4 &&
    typeof bound === 'number' &&
    typeof upperBound === 'number' &&
    bound >= upperBound
  ) {
    problems.push(`${path}: the lower bound ${bound} must be less than the upper bound ${upperBound}`);
  }
}

function validateNumber(value: unknown, path: string, problems: string[]): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push(`${path}: expected a number, got ${describe(value)}`);
  } else if (Math.abs(value) > NUMERIC_LIMIT) {
    problems.push(`${path}: ${value} is outside the supported range -5e9 to 5e9`);
  }
}

function validateAnythingBut(operand: unknown, path: string, problems: string[]): void {
  if (typeof operand === 'string') return;
  if (typeof operand === 'number') {
    validateNumber(operand, path, problems);
    return;
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) problems.push(`${path}: empty arrays are not allowed`);
    const allStrings = operand.every((value) => typeof value === 'string');
    const allNumbers = operand.every((value) => typeof value === 'number');
    if (!allStrings && !allNumbers) {
      problems.push(`${path}: a list must hold only strings or only numbers, got ${JSON.stringify(operand)}`);
    } else if (allNumbers) {
      for (const value of operand) validateNumber(value, path, problems);
    }
    return;
  }
  if (!isPlainObject(operand)) {
    problems.push(
      `${path}: must be a string, a number, a list of either, or an operator object, got ${describe(operand)}`,
    );
    return;
  }
  const keys = Object.keys(operand);
  const operator = keys[0];
  if (keys.length !== 1 || operator === undefined || !ANYTHING_BUT_OPERATORS.has(operator)) {
    problems.push(
      `${path}: takes exactly one of "prefix", "suffix", "equals-ignore-case" or "wildcard", got ${keys
        .map((k) => `"${k}"`)
        .join(', ')}`,
    );
    return;
  }
  const here = `${path}.${operator}`;
  const argument = operand[operator];
  const texts = Array.isArray(argument) ? argument : [argument];
  if (texts.length === 0) problems.push(`${here}: empty arrays are not allowed`);
  for (const text of texts) {
    if (typeof text !== 'string') {
      problems.push(`${here}: must be a string or a list of strings, got ${describe(text)}`);
    } else if (text === '' && (operator === 'prefix' || operator === 'suffix')) {
      problems.push(`${here}: an empty ${operator} would exclude every string`);
    } else if (operator === 'wildcard') {
      validateWildcard(text, here, problems);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

/** The value of `key` when it is the object's only key. */
function singleEntry(object: Record<string, unknown>, key: string): unknown {
  const keys = Object.keys(object);
  return keys.length === 1 && keys[0] === key ? object[key] : undefined;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function label(path: string): string {
  return path === '' ? 'pattern' : path;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array ${JSON.stringify(value)}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
