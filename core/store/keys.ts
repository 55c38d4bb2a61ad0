import { SkiffError } from '../../sdk/errors.ts';
import { maxKeyBytes, maxValueBytes, type StoreValue } from './store.ts';

const keyPattern = /^\/[\x21-\x7e]*$/;

/** checkKey refuses a key the store cannot hold (BadRequest). */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !keyPattern.test(key) || key.length > maxKeyBytes) {
    throw new SkiffError(
      'BadRequest',
      `store key ${JSON.stringify(key)} is invalid: a key starts with "/", holds only printable ASCII without spaces and has at most ${maxKeyBytes} bytes`,
    );
  }
}

/** checkPrefix refuses a prefix no key could start with (BadRequest); '' selects everything. */
export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (prefix === '') return;
  checkKey(prefix);
}

/** valueBytes turns a value into bytes, refusing one the store cannot hold. */
export function valueBytes(value: StoreValue): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
  else if (value instanceof Uint8Array) bytes = value;
  else throw new SkiffError('BadRequest', 'a store value must be a string or a Uint8Array');
  if (bytes.byteLength > maxValueBytes) {
    throw new SkiffError(
      'RequestEntityTooLarge',
      `store value of ${bytes.byteLength} bytes exceeds the limit of ${maxValueBytes} bytes`,
    );
  }
  return bytes;
}

/** checkRevision refuses a revision that is not a positive safe integer (BadRequest). */
export function checkRevision(name: string, revision: unknown): asserts revision is number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 1) {
    throw new SkiffError(
      'BadRequest',
      `${name} must be a positive integer, got ${String(revision)}`,
    );
  }
}

/** checkTtl refuses a time to live that is not a positive integer number of seconds. */
export function checkTtl(ttlSeconds: unknown): void {
  if (ttlSeconds === undefined) return;
  if (typeof ttlSeconds !== 'number' || !Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new SkiffError(
      'BadRequest',
      `ttlSeconds must be a positive integer, got ${String(ttlSeconds)}`,
    );
  }
}

/** prefixEnd is the first key after every key that starts with prefix (keys are 0x21-0x7E). */
export function prefixEnd(prefix: string): string {
  return `${prefix}\x7f`;
}

/** ContinueToken is what a list's continue string carries. */
export interface ContinueToken {
  /** revision is the revision the paged list is consistent at. */
  revision: number;
  /** after is the last key returned; the next page starts after it. */
  after: string;
}

/** encodeContinue makes the opaque continue string of a list page. */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ r: token.revision, a: token.after })).toString('base64url');
}

/** decodeContinue reads a continue string, refusing a malformed one (BadRequest). */
export function decodeContinue(text: string, prefix: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (typeof raw === 'object' && raw !== null) {
      const { r, a } = raw as { r?: unknown; a?: unknown };
      if (
        typeof r === 'number' &&
        Number.isSafeInteger(r) &&
        r >= 1 &&
        typeof a === 'string' &&
        a.startsWith(prefix)
      ) {
        return { revision: r, after: a };
      }
    }
  } catch {
    // falls through to the error below
  }
  throw new SkiffError('BadRequest', 'the continue token is malformed or belongs to another list');
}

/** checkLimit refuses a limit that is not a non-negative integer. */
export function checkLimit(limit: unknown): number {
  if (limit === undefined) return 0;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new SkiffError(
      'BadRequest',
      `limit must be a non-negative integer, got ${String(limit)}`,
    );
  }
  return limit;
}
