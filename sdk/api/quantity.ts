/**
 * Resource quantities ("500m", "128Mi", "1.5", "2e3") as Kubernetes writes them. Values are kept
 * exact as mantissa × 10^exponent with bigints, so "100m" is exactly 0.1 and never 0.1000…01.
 */

/** QuantityFormat is the suffix family a quantity was written in; formatting keeps it. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Quantity is an exact parsed amount: value = mantissa × 10^exponent. */
export interface ParsedQuantity {
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
}

/** QuantityResult is a parsed quantity or the reason the text is not one. */
export type QuantityResult =
  | { ok: true; quantity: ParsedQuantity }
  | { ok: false; message: string };

const binarySuffixes: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const decimalSuffixes: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const shape = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** quantityMessage is the error text Kubernetes uses for a malformed quantity. */
export const quantityMessage =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** parseQuantity reads a quantity from its text (or a bare JSON number). */
export function parseQuantity(input: string | number): QuantityResult {
  const text = typeof input === 'number' ? numberText(input) : input.trim();
  const m = shape.exec(text);
  if (m === null || text === '') return { ok: false, message: quantityMessage };
  const [, sign = '', digits = '', suffix = ''] = m;
  const [whole = '', frac = ''] = digits.split('.');
  let mantissa = BigInt(`${whole}${frac}` || '0');
  let exponent = -frac.length;
  let format: QuantityFormat = 'DecimalSI';
  if (suffix in binarySuffixes) {
    mantissa *= 1024n ** BigInt(binarySuffixes[suffix] ?? 0);
    format = 'BinarySI';
  } else if (suffix in decimalSuffixes) {
    exponent += decimalSuffixes[suffix] ?? 0;
  } else {
    exponent += Number(suffix.slice(1));
    format = 'DecimalExponent';
  }
  if (sign === '-') mantissa = -mantissa;
  return { ok: true, quantity: normalize({ mantissa, exponent, format }) };
}

function numberText(n: number): string {
  // JSON numbers in manifests (cpu: 1, cpu: 0.5) read as plain decimals.
  return Number.isInteger(n) ? BigInt(n).toString() : String(n);
}

function normalize(q: ParsedQuantity): ParsedQuantity {
  let { mantissa, exponent } = q;
  if (mantissa === 0n) return { mantissa, exponent: 0, format: q.format };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  return { mantissa, exponent, format: q.format };
}

function scaled(q: ParsedQuantity, exp: number): { whole: bigint; exact: boolean } {
  // Returns ceil(value / 10^exp) and whether the division was exact.
  const shift = q.exponent - exp;
  if (shift >= 0) return { whole: q.mantissa * 10n ** BigInt(shift), exact: true };
  const div = 10n ** BigInt(-shift);
  const whole = q.mantissa / div;
  const exact = q.mantissa % div === 0n;
  return { whole: exact || q.mantissa < 0n ? whole : whole + 1n, exact };
}

/** quantityValue is the amount in base units (cores, bytes) as a float, for arithmetic. */
export function quantityValue(q: ParsedQuantity): number {
  return Number(q.mantissa) * 10 ** q.exponent;
}

/** quantityMillis is the amount in thousandths of a base unit, rounded up as Kubernetes does. */
export function quantityMillis(q: ParsedQuantity): bigint {
  return scaled(q, -3).whole;
}

/** compareQuantities orders two quantities: negative, zero or positive. */
export function compareQuantities(a: ParsedQuantity, b: ParsedQuantity): number {
  const exp = Math.min(a.exponent, b.exponent);
  const x = scaled(a, exp).whole;
  const y = scaled(b, exp).whole;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** formatQuantity prints the canonical text of a quantity, in its own format. */
export function formatQuantity(q: ParsedQuantity): string {
  if (q.mantissa === 0n) return '0';
  if (q.format === 'BinarySI' && q.exponent >= 0) {
    let whole = q.mantissa * 10n ** BigInt(q.exponent);
    const names = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
    let i = 0;
    while (i < names.length - 1 && whole % 1024n === 0n) {
      whole /= 1024n;
      i += 1;
    }
    // Amounts that are no multiple of 1Ki read better as plain decimals, as Kubernetes prints them.
    if (i > 0) return `${whole}${names[i]}`;
  }
  // Exponents snap down to a multiple of 3; below nano precision the value is rounded up.
  let exp = Math.max(-9, Math.floor(q.exponent / 3) * 3);
  const { whole } = scaled(q, exp);
  let mantissa = whole;
  while (mantissa !== 0n && mantissa % 1000n === 0n && exp < 18) {
    mantissa /= 1000n;
    exp += 3;
  }
  if (q.format === 'DecimalExponent') return exp === 0 ? `${mantissa}` : `${mantissa}e${exp}`;
  const suffix = Object.entries(decimalSuffixes).find(([, e]) => e === exp)?.[0];
  return suffix === undefined ? `${mantissa}e${exp}` : `${mantissa}${suffix}`;
}
