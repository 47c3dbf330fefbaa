import fc from 'fast-check';
import { requestFingerprint } from '../../../shared/platform/idempotency/fingerprint';
import shipOrder from '../../fixtures/domain/order-ship.json';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The same value with the keys of every object, at every depth, in a new order. */
function reorderKeys(value: JsonValue, order: (keys: string[]) => string[]): JsonValue {
  if (Array.isArray(value)) return value.map((v) => reorderKeys(v, order));
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, so even a key named __proto__ stays an ordinary key.
  return Object.fromEntries(
    order(Object.keys(value)).map((key) => [key, reorderKeys(value[key] as JsonValue, order)]),
  );
}

/** A leaf replaced by a value that JSON tells apart from it. */
function changeLeaf(value: JsonValue): JsonValue {
  if (value === null) return 0;
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'number') return value + 1 === value ? -value - 1 : value + 1;
  if (typeof value === 'string') return `${value}x`;
  return null;
}

/** Every path to a leaf or an empty container, so that a change can be made anywhere. */
function paths(value: JsonValue, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [prefix] : value.flatMap((v, i) => paths(v, [...prefix, i]));
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? [prefix] : keys.flatMap((k) => paths(value[k] as JsonValue, [...prefix, k]));
  }
  return [prefix];
}

function changedAt(value: JsonValue, path: (string | number)[]): JsonValue {
  const [head, ...rest] = path;
  if (head === undefined) return changeLeaf(value);
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? changedAt(v, rest) : v));
  if (value !== null && typeof value === 'object') {
    return { ...value, [head]: changedAt(value[head as string] as JsonValue, rest) };
  }
  return value;
}

/** JSON request bodies: objects of objects, arrays and scalars, as `JSON.parse` would give them. */
const body = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue),
  { minKeys: 1, maxKeys: 6 },
);

describe('requestFingerprint', () => {
  it('is the same for the same request', () => {
    expect(requestFingerprint(shipOrder)).toBe(requestFingerprint(structuredClone(shipOrder)));
  });

  it('is a short URL-safe string', () => {
    expect(requestFingerprint(shipOrder)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('does not depend on the order of keys, at any depth', () => {
    const reordered = reorderKeys(shipOrder as JsonValue, (keys) => [...keys].reverse());

    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(shipOrder));
    expect(requestFingerprint(reordered)).toBe(requestFingerprint(shipOrder));
  });

  it('changes when a quantity changes', () => {
    const more = structuredClone(shipOrder);
    more.lines[0]!.quantity += 1;

    expect(requestFingerprint(more)).not.toBe(requestFingerprint(shipOrder));
  });

  it('changes when the lines come in another order', () => {
    const swapped = { ...shipOrder, lines: [...shipOrder.lines].reverse() };

    expect(requestFingerprint(swapped)).not.toBe(requestFingerprint(shipOrder));
  });

  it('tells a number from the same digits as a string', () => {
    expect(requestFingerprint({ quantity: 2 })).not.toBe(requestFingerprint({ quantity: '2' }));
  });

  it('tells a value moved to another key apart', () => {
    expect(requestFingerprint({ a: 1, b: 2 })).not.toBe(requestFingerprint({ a: 2, b: 1 }));
  });

  it('is the same for any order of keys in a random request', () => {
    fc.assert(
      fc.property(body, fc.func(fc.integer()), (value, rank) => {
        const shuffled = reorderKeys(value, (keys) =>
          [...keys].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1)),
        );

        expect(requestFingerprint(shuffled)).toBe(requestFingerprint(value));
      }),
    );
  });

  it('changes when any one value in a random request changes', () => {
    fc.assert(
      fc.property(
        body.chain((value) => fc.tuple(fc.constant(value), fc.constantFrom(...paths(value)))),
        ([value, path]) => {
          const changed = changedAt(value, path);

          expect(requestFingerprint(changed)).not.toBe(requestFingerprint(value));
        },
      ),
    );
  });
});
