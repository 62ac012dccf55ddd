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
  /** Each counted postgres process's CPU time so far, by pid, in ms. */
  postgresByPid?: ReadonlyMap<string, number>;
}

/** The CPU time of every postgres process serving `database` (or no database), in ms, by pid. */
function postgresByPid(database: string): Map<string, number> {
  const byPid = new Map<string, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return byPid;
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
      byPid.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return byPid;
}

export function cpuNow(database: string): CpuSample {
  const u = process.cpuUsage();
  const byPid = postgresByPid(database);
  let postgresMs = 0;
  for (const ms of byPid.values()) postgresMs += ms;
  return { nodeMs: (u.user + u.system) / 1000, postgresMs, postgresByPid: byPid };
}

/**
 * CPU used since `start`. PostgreSQL's share is summed process by process: a backend that ended
 * meanwhile (a pool closing an idle connection) takes its whole past out of a plain difference of
 * totals, which once read -24 360 ms per 1 000 transfers; its time in the interval is lost instead
 * (it cannot be read after it ended), and a backend that started meanwhile counts whole.
 */
export function cpuSince(start: CpuSample, database: string): CpuSample {
  const now = cpuNow(database);
  let postgresMs = 0;
  for (const [pid, ms] of now.postgresByPid ?? []) postgresMs += ms - (start.postgresByPid?.get(pid) ?? 0);
  return { nodeMs: now.nodeMs - start.nodeMs, postgresMs };
}

/** One process's CPU time so far (utime + stime, /proc ticks of 10 ms), in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
