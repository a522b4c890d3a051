import { UserError } from '../errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
  ti: 1024 ** 4,
};

/**
 * Reads a size the way ccache does: `500M` and `10G` are decimal (10^6, 10^9), `512Mi` and `2GiB`
 * binary (2^20, 2^30); a plain number is bytes; a trailing `B` is allowed.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) {
    throw new UserError(`"${text}" is not a size (examples: 500M, 10G, 2GiB, 1048576)`);
  }
  return Math.floor(Number(match[1]) * unit);
}

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

/**
 * Bytes as a short human figure: decimal units by default, like parseSize reads them; `binary`
 * gives MiB or GiB, the units memory and free disk space are spoken of in.
 */
export function formatSize(bytes: number, system: 'decimal' | 'binary' = 'decimal'): string {
  if (system === 'binary') return bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${Math.round(bytes / MIB)} MiB`;
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
