/**
 * How every bench states a figure: its name, value, unit, the goal it is held to and whether
 * the goal is met. Figures print as they are measured (a bench can take minutes) and are
 * kept, so that `npm run bench -- --json FILE` can write them all for comparing runs.
 *
 * The machine is shared and noisy, so where a same-process baseline exists a bench states a
 * ratio against it (`ratio()`): both operands come from the same run and travel with it.
 * A figure without a goal is context (a size, a count, a baseline) and is marked `·`.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fmt } from './_stats.js';

export interface Goal {
  readonly op: '<=' | '>=';
  readonly value: number;
}

export const atMost = (value: number): Goal => ({ op: '<=', value });
export const atLeast = (value: number): Goal => ({ op: '>=', value });

export interface Operand {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export interface Figure extends Operand {
  /** The bench module that measured it: policy, sim, daemon, web, linux. */
  readonly bench: string;
  readonly goal: Goal | null;
  /** null when there is no goal; a value that is not a number never meets one. */
  readonly met: boolean | null;
  /** For a ratio: value = of.value / over.value, both measured in this run. */
  readonly ratio?: { readonly of: Operand; readonly over: Operand };
  readonly note?: string;
}

export function meets(value: number, goal: Goal | null): boolean | null {
  if (goal === null) return null;
  if (!Number.isFinite(value)) return false;
  return goal.op === '<=' ? value <= goal.value : value >= goal.value;
}

/** About three significant digits, so µs and Mpps alike read without a digits argument. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const digits = a >= 100 || Number.isInteger(v) ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return fmt(v, digits);
}

const withUnit = (v: number, unit: string) => `${formatValue(v)} ${unit}`;
/** A goal prints as it was stated (14.88, not 14.9). */
const goalText = (g: Goal, unit: string) =>
  `goal ${g.op === '<=' ? '≤' : '≥'} ${g.value.toLocaleString('en-US', { maximumFractionDigits: 6 })} ${unit}`;

export function formatFigure(f: Figure): string {
  const mark = f.met === null ? '·' : f.met ? '✔' : '✖';
  const goal = f.goal ? goalText(f.goal, f.unit) : 'no goal';
  const detail = [
    f.ratio &&
      `${withUnit(f.ratio.of.value, f.ratio.of.unit)} / ${withUnit(f.ratio.over.value, f.ratio.over.unit)}`,
    f.note,
  ].filter(Boolean);
  const tail = detail.length > 0 ? `  (${detail.join('; ')})` : '';
  return `  ${mark} ${f.name.padEnd(60)} ${withUnit(f.value, f.unit).padStart(14)}   ${goal}${tail}`;
}

export class Report {
  readonly figures: Figure[] = [];

  constructor(readonly print: (line: string) => void = console.log) {}

  bench(name: string): Bench {
    return new Bench(this, name);
  }

  add(f: Figure): Figure {
    this.figures.push(f);
    this.print(formatFigure(f));
    return f;
  }

  summary(): string {
    const count = (m: boolean | null) => this.figures.filter((f) => f.met === m).length;
    return `${this.figures.length} figures: ${count(true)} goals met ✔, ${count(false)} missed ✖, ${count(null)} without a goal`;
  }

  async writeJson(file: string): Promise<void> {
    await writeFile(file, `${JSON.stringify(this.figures, null, 2)}\n`);
  }
}

/** The figures of one bench module. */
export class Bench {
  constructor(
    private readonly report: Report,
    readonly name: string,
  ) {}

  figure(name: string, value: number, unit: string, goal: Goal | null = null, note?: string) {
    const f: Figure = { bench: this.name, name, value, unit, goal, met: meets(value, goal) };
    return this.report.add(note === undefined ? f : { ...f, note });
  }

  /** `of / over` as a figure in ×; both must be in the same unit. */
  ratio(name: string, of: Operand, over: Operand, goal: Goal | null = null): Figure {
    if (of.unit !== over.unit)
      throw new Error(`bench ratio "${name}": ${of.unit} over ${over.unit}; use one unit`);
    const value = of.value / over.value;
    const pick = (o: Operand): Operand => ({ name: o.name, value: o.value, unit: o.unit });
    return this.report.add({
      bench: this.name,
      name,
      value,
      unit: '×',
      goal,
      met: meets(value, goal),
      ratio: { of: pick(of), over: pick(over) },
    });
  }

  /** A figure measured elsewhere (the lab VM's run), kept with its goal under this bench. */
  adopt(f: Figure, prefix: string): Figure {
    return this.report.add({ ...f, bench: this.name, name: `${prefix}${f.name}` });
  }
}

export interface BenchArgs {
  /** Where to write every figure as JSON; null: print only. */
  json: string | null;
  /** Bench modules to run; empty: all. */
  only: string[];
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { json: { type: 'string' } },
    allowPositionals: true,
  });
  return { json: values.json ?? null, only: positionals };
}

export type BenchRun = (b: Bench) => Promise<void>;

/**
 * Runs bench modules in order under one report, prints the summary and, with `--json FILE`,
 * writes every figure there. `npm run bench` and a bench file run alone (inside the lab VM)
 * both end here.
 */
export async function runBenches(
  modules: ReadonlyArray<{ name: string; run: BenchRun }>,
  args: BenchArgs,
  report = new Report(),
): Promise<Report> {
  const unknown = args.only.filter((n) => !modules.some((m) => m.name === n));
  if (unknown.length > 0)
    throw new Error(
      `unknown bench ${unknown.join(', ')}; valid: ${modules.map((m) => m.name).join(', ')}`,
    );
  for (const m of modules) {
    if (args.only.length > 0 && !args.only.includes(m.name)) continue;
    if (modules.length > 1) report.print(`\n== ${m.name} ==`);
    await m.run(report.bench(m.name));
  }
  report.print(`\n${report.summary()}`);
  if (args.json !== null) {
    await report.writeJson(args.json);
    report.print(`figures written to ${args.json}`);
  }
  return report;
}
