import { readFileSync, readdirSync } from 'node:fs';

/** The fields of `/proc/<pid>/stat` this code needs (proc(5)). */
export interface ProcStat {
  /** One letter: R, S, D, Z (a zombie, which has exited but is not reaped yet), ... */
  readonly state: string;
  readonly pgrp: number;
  /**
   * When the process started, in clock ticks after boot (field 22). A pid is reused once its
   * process is gone; with the start time beside it, a record names one process, not a number.
   */
  readonly start: string;
}

/**
 * Reads the line of `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may
 * itself hold spaces and parentheses, so the fields are counted from the last `)`.
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  // Field 3 (state) is the first after the name.
  const fields = line.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const pgrp = Number(fields[5 - 3]);
  const start = fields[22 - 3];
  if (state === undefined || !Number.isInteger(pgrp) || start === undefined || !/^\d+$/.test(start)) return undefined;
  return { state, pgrp, start };
}

/** The process's stat, or undefined when there is no such process (or no /proc). */
export function procStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The processes of a process group that have not exited. Zombies are left out: a zombie is
 * gone but for its exit status, and one whose parent died waits for whoever reaps orphans, which
 * in a container may be nobody.
 */
export function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(entry));
  }
  return members;
}
