import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Row {
  section: string;
  case: string;
  ours: string;
  baseline: string;
  ratio: number | null;
  target: string;
  met: boolean | null;
}

export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  readonly raw: Record<string, unknown> = {};
  readonly started = new Date();

  add(row: Row): void {
    this.rows.push(row);
    const flag = row.met === null ? '' : row.met ? '  [target met]' : '  [TARGET MISSED]';
    console.log(`${row.section} | ${row.case}: ${row.ours} vs ${row.baseline} → ${row.ratio ?? '-'}${flag}`);
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`note: ${text}`);
  }

  machine(): string {
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  }

  write(dir: string, extra: { postgres?: string }, name = 'latest'): void {
    mkdirSync(dir, { recursive: true });
    const lines = [
      '# Wallet benchmark: latest run',
      '',
      `Taken ${this.started.toISOString()} on ${this.machine()}${extra.postgres ? `, ${extra.postgres}` : ''}.`,
      'Every figure is a ratio against a baseline measured in the same run (ours / baseline); absolute numbers drift with the machine, ratios hold.',
      '',
      '| section | case | ours | baseline | ratio | target |',
      '|---|---|---|---|---|---|',
      ...this.rows.map(
        (r) => `| ${r.section} | ${r.case} | ${r.ours} | ${r.baseline} | ${r.ratio ?? '–'} | ${r.target}${r.met === null ? '' : r.met ? ' ✅' : ' ❌'} |`,
      ),
      '',
      ...(this.notes.length ? ['## Notes', '', ...this.notes.map((n) => `- ${n}`), ''] : []),
    ];
    writeFileSync(join(dir, `${name}.md`), `${lines.join('\n')}\n`);
    writeFileSync(
      join(dir, `${name}.json`),
      `${JSON.stringify({ takenAt: this.started.toISOString(), machine: this.machine(), ...extra, rows: this.rows, notes: this.notes, raw: this.raw }, null, 2)}\n`,
    );
  }
}
