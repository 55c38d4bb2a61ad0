import type { LabelSelector } from '../../../sdk/api/meta.ts';
import {
  formatLabelSelector,
  labelSelectorFromSpec,
} from '../../../sdk/api/selectors/label-selector.ts';

/**
 * humanDuration renders a duration the way kubectl's AGE column does: exact seconds below two
 * minutes, then minutes and seconds below ten minutes, minutes below three hours, hours and
 * minutes below eight hours, hours below two days, days and hours below eight days, days below
 * two years, years and days below eight years, then years. Up to a second in the future counts
 * as now; more is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** since renders the age of a timestamp at `now`; a missing or unreadable one is `<unknown>`. */
export function since(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now.getTime() - at);
}

/** formatLabels prints a label map as sorted `k=v` pairs, or `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const pairs = Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? '<none>' : pairs.join(',');
}

/** selectorString prints a structured selector in its canonical form ('' when it has no terms). */
export function selectorString(spec: LabelSelector | undefined): string {
  const parsed = labelSelectorFromSpec(spec);
  return parsed.ok ? formatLabelSelector(parsed.selector) : '<invalid>';
}

/** formatSelector prints a structured selector, or `<none>` when it has no terms. */
export function formatSelector(spec: LabelSelector | undefined): string {
  const parsed = labelSelectorFromSpec(spec);
  if (!parsed.ok) return '<error>';
  return formatLabelSelector(parsed.selector) || '<none>';
}

/** containerCells joins container names and images for the CONTAINERS and IMAGES columns. */
export function containerCells(containers: unknown): [string, string] {
  const list = Array.isArray(containers) ? (containers as { name?: string; image?: string }[]) : [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** listWithMore shows the first `max` entries and how many more there are. */
export function listWithMore(items: readonly string[], max: number, empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} + ${items.length - max} more...` : shown;
}

const accessModeAbbreviations: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** accessModes abbreviates volume access modes (RWO, ROX, RWX, RWOP) in that fixed order. */
export function accessModes(modes: unknown): string {
  const list = Array.isArray(modes) ? modes : [];
  return accessModeAbbreviations
    .filter(([mode]) => list.includes(mode))
    .map(([, short]) => short)
    .join(',');
}

/** boolCell prints an optional boolean as kubectl does: True, False or `<unset>`. */
export function boolCell(value: unknown): string {
  if (typeof value !== 'boolean') return '<unset>';
  return value ? 'True' : 'False';
}
