/**
 * Kubernetes' name and identifier rules. Each check returns the list of problems as Kubernetes
 * words them; an empty list means the value is fine.
 */

const labelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dnsLabelRe = new RegExp(`^${labelFmt}$`);
const dnsSubdomainRe = new RegExp(`^${labelFmt}(\\.${labelFmt})*$`);
const qualifiedNameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ianaSvcNameRe = /^[-a-z0-9]+$/;
const hasLetterRe = /[a-z]/;
const cIdentifierRe = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envVarNameRe = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const configMapKeyRe = /^[-._a-zA-Z0-9]+$/;

/** dnsLabelMaxLength is the RFC 1123 label limit. */
export const dnsLabelMaxLength = 63;
/** dnsSubdomainMaxLength is the RFC 1123 subdomain limit. */
export const dnsSubdomainMaxLength = 253;

const maxLen = (n: number) => `must be no more than ${n} characters`;

/** isDnsLabel checks an RFC 1123 label (namespaces, services, container names). */
export function isDnsLabel(value: string): string[] {
  const out: string[] = [];
  if (value.length > dnsLabelMaxLength) out.push(maxLen(dnsLabelMaxLength));
  if (!dnsLabelRe.test(value))
    out.push(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${labelFmt}')`,
    );
  return out;
}

const dns1035Re = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** isDns1035Label checks an RFC 1035 label: a DNS label that starts with a letter (services). */
export function isDns1035Label(value: string): string[] {
  const out: string[] = [];
  if (value.length > dnsLabelMaxLength) out.push(maxLen(dnsLabelMaxLength));
  if (!dns1035Re.test(value))
    out.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  return out;
}

/** isDnsSubdomain checks an RFC 1123 subdomain (the name of most kinds). */
export function isDnsSubdomain(value: string): string[] {
  const out: string[] = [];
  if (value.length > dnsSubdomainMaxLength) out.push(maxLen(dnsSubdomainMaxLength));
  if (!dnsSubdomainRe.test(value))
    out.push(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${labelFmt}(\\.${labelFmt})*')`,
    );
  return out;
}

/** isQualifiedName checks a label or annotation key: optional `prefix/` then a name ≤63. */
export function isQualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const out: string[] = [];
  if (parts.length === 2) {
    const [prefix = '', rest = ''] = parts;
    name = rest;
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else out.push(...isDnsSubdomain(prefix).map((m) => `prefix part ${m}`));
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (name.length > 0 && !qualifiedNameRe.test(name))
    out.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  return out;
}

/** isLabelValue checks a label value: empty, or ≤63 characters of the qualified-name charset. */
export function isLabelValue(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(maxLen(63));
  if (!labelValueRe.test(value))
    out.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  return out;
}

/** isIanaSvcName checks a port name: ≤15 lowercase alphanumerics and '-', with a letter. */
export function isIanaSvcName(value: string): string[] {
  const out: string[] = [];
  if (value.length > 15) out.push(maxLen(15));
  if (!ianaSvcNameRe.test(value))
    out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (value.includes('--')) out.push('must not contain consecutive hyphens');
  if (!hasLetterRe.test(value)) out.push('must contain at least one letter (a-z)');
  if (value.startsWith('-') || value.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

/** isCIdentifier checks a C identifier (environment variable names from envFrom prefixes). */
export function isCIdentifier(value: string): string[] {
  return cIdentifierRe.test(value)
    ? []
    : [
        "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is '[A-Za-z_][A-Za-z0-9_]*')",
      ];
}

/** isEnvVarName checks an environment variable name. */
export function isEnvVarName(value: string): string[] {
  const out: string[] = [];
  if (!envVarNameRe.test(value))
    out.push(
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    );
  if (value === '.' || value === '..' || value.startsWith('..'))
    out.push("must not be '.' or '..' or start with '..'");
  return out;
}

/** isConfigMapKey checks a key of ConfigMap or Secret data. */
export function isConfigMapKey(value: string): string[] {
  const out: string[] = [];
  if (value.length > dnsSubdomainMaxLength) out.push(maxLen(dnsSubdomainMaxLength));
  if (!configMapKeyRe.test(value))
    out.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  if (value === '.' || value === '..' || value.startsWith('..'))
    out.push("must not be '.' or '..' or start with '..'");
  return out;
}

/** NameRule checks an object name; prefix=true checks a generateName (trailing '-' allowed). */
export type NameRule = (name: string, prefix: boolean) => string[];

const maskTrailingDash = (name: string, prefix: boolean) =>
  prefix && name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;

/** nameIsDnsSubdomain is the name rule of most kinds. */
export const nameIsDnsSubdomain: NameRule = (name, prefix) =>
  isDnsSubdomain(maskTrailingDash(name, prefix));

/** nameIsDnsLabel is the name rule of namespaces and services. */
export const nameIsDnsLabel: NameRule = (name, prefix) =>
  isDnsLabel(maskTrailingDash(name, prefix));

/** nameIsDns1035Label is the name rule of services. */
export const nameIsDns1035Label: NameRule = (name, prefix) =>
  isDns1035Label(maskTrailingDash(name, prefix));

/** pathSegmentName is the loosest name rule: anything usable in a URL path segment. */
export const nameIsPathSegment: NameRule = (name, prefix) => {
  if (prefix) return [];
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return /[/%]/.test(name) ? [`may not contain '${name.includes('/') ? '/' : '%'}'`] : [];
};
