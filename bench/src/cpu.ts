/**
 * CPU time spent by this Node process and by PostgreSQL while a workload runs: the process's own
 * `process.cpuUsage()`, and for PostgreSQL the utime+stime of /proc/<pid>/stat of every postgres
 * process that serves the bench's database or no database at all (WAL writer, checkpointer…),
 * other databases' backends excluded. Linux only; elsewhere PostgreSQL's share reads as 0.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports /proc times in clock ticks of 1/100 s on every architecture Node runs on. */
const TICK_MS = 10;

export interface CpuSample {
  nodeMs: number;
  postgresMs: number;
}

/** The CPU time of every postgres process serving `database` (or no database), in ms. */
export function postgresMs(database: string): number {
  let total = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      // A backend's title names its database: "postgres: [<cluster>: ]<user> <database> <client> <state>"
      // (Debian's clusters put "15/main: " first).
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const backend = /^postgres: (?:\S+: )?\S+ (\S+) \S+\(\d+\)/.exec(title);
      if (backend && backend[1] !== database) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime), counted from the state field, which is field 3.
      total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total;
}

export function cpuNow(database: string): CpuSample {
  const u = process.cpuUsage();
  return { nodeMs: (u.user + u.system) / 1000, postgresMs: postgresMs(database) };
}

export function cpuSince(start: CpuSample, database: string): CpuSample {
  const now = cpuNow(database);
  return { nodeMs: now.nodeMs - start.nodeMs, postgresMs: now.postgresMs - start.postgresMs };
}

/** One process's CPU time so far (utime + stime, /proc ticks of 10 ms), in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
