import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import type { Problem } from '../../model/index.js';
import { formatProblem } from '../../model/plain.js';
import { CliError, EXIT } from '../output.js';
import type { ImportResult, ImportTarget, VfdInput } from '../vfd/import.js';
import type { ImportNote } from '../vfd/notes.js';

/** VFd read its files with a lenient parser; JSON5 accepts the comments and trailing commas. */
async function readVfd(file: string): Promise<VfdInput> {
  // Here and in check(): loaded when the command runs, not at every `nicvisor` start
  // (bench/cli.ts).
  const { default: JSON5 } = await import('json5');
  const text = await readFile(file, 'utf8');
  try {
    return { file, data: JSON5.parse(text) };
  } catch (err) {
    throw new Error(`${file}: cannot parse: ${(err as Error).message}`);
  }
}

async function writeText(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Validate the converted files as `nicvisor validate` would; problems name the VFd file. */
async function check(result: ImportResult, vfdCfg: string): Promise<Problem[]> {
  const { defaultCapabilityMap, MainConfig } = await import('../../model/index.js');
  const { validate } = await import('../../policy/validate.js');
  const config = MainConfig.safeParse(result.main);
  const caps = config.success ? defaultCapabilityMap(config.data) : new Map();
  return validate(
    { file: `${vfdCfg} (as nicvisor.json)`, data: result.main },
    result.vfs.map((v, i) => ({ file: `${result.sources[i]} (as vfs/${v.name}.json)`, data: v })),
    caps,
  ).problems;
}

/** Writes nicvisor.json and vfs/NAME.json under dir; returns the paths. */
async function writeConfig(dir: string, result: ImportResult): Promise<string[]> {
  await mkdir(join(dir, 'vfs'), { recursive: true });
  const files = [
    join(dir, 'nicvisor.json'),
    ...result.vfs.map((v) => join(dir, 'vfs', `${v.name}.json`)),
  ];
  await writeText(files[0], json(result.main));
  for (const [i, v] of result.vfs.entries()) await writeText(files[i + 1], json(v));
  return files;
}

const noteLine = (n: ImportNote) => `${n.file}: ${n.key}: ${n.note}`;

function reportText(
  target: ImportTarget,
  files: string[],
  notes: ImportNote[],
  problems: Problem[],
) {
  return [
    `nicvisor import-vfd report: driver ${target.driver}, eswitch ${target.eswitchMode}${target.linkSpeedMbps ? `, link ${target.linkSpeedMbps} Mbps` : ''}`,
    '',
    `Files (${files.length}):`,
    ...files.map((f) => `  ${f}`),
    '',
    `Problems (${problems.length})${problems.length ? ': the daemon would refuse these; fix them, then `nicvisor validate`' : ''}:`,
    ...problems.map((p) => `  - ${formatProblem(p)}`),
    '',
    `Notes (${notes.length}): settings not carried over as they were, and why:`,
    ...notes.map((n) => `  - ${noteLine(n)}`),
    '',
  ].join('\n');
}

interface ImportOptions {
  driver: 'linux' | 'sim';
  eswitch: 'legacy' | 'switchdev';
  linkSpeed?: string;
  review?: string;
  json?: boolean;
}

function targetOf(opts: ImportOptions): ImportTarget {
  let linkSpeedMbps: number | undefined;
  if (opts.linkSpeed !== undefined) {
    linkSpeedMbps = Number(opts.linkSpeed);
    if (!Number.isInteger(linkSpeedMbps) || linkSpeedMbps < 1)
      throw new CliError(
        `--link-speed ${opts.linkSpeed} is not a whole number of Mbps (e.g. 25000)`,
        EXIT.usage,
      );
  }
  return { driver: opts.driver, eswitchMode: opts.eswitch, linkSpeedMbps };
}

/** `nicvisor import-vfd VFD_CFG VFD_CONFIG_DIR (OUT_DIR | --review DIR)` */
export function register(program: Command): void {
  program
    .command('import-vfd')
    .description("convert VFd's vfd.cfg and per-VF files into nicvisor files (validated first)")
    .argument('<vfdCfg>', "VFd's main config, e.g. /etc/vfd/vfd.cfg")
    .argument(
      '<vfdConfigDir>',
      "VFd's VF config directory (its *.json files), e.g. /var/lib/vfd/config",
    )
    .argument(
      '[outDir]',
      'where to write nicvisor.json and vfs/NAME.json (only when all of it validates)',
    )
    .addOption(
      new Option('--driver <driver>', 'the driver the result runs on')
        .choices(['linux', 'sim'])
        .default('linux'),
    )
    .addOption(
      new Option(
        '--eswitch <mode>',
        'eswitch mode of every PF: switchdev lets trunks, MAC lists, mirrors and shares validate on linux',
      )
        .choices(['legacy', 'switchdev'])
        .default('legacy'),
    )
    .option(
      '--link-speed <mbps>',
      "the PFs' link speed: turns VFd's fractional rate/min_rate into Mbps",
    )
    .option(
      '--review <dir>',
      'write the converted files and report.txt/report.json to DIR, valid or not; install nothing',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ nicvisor import-vfd /etc/vfd/vfd.cfg /var/lib/vfd/config --review /tmp/vfd-review\n  $ nicvisor import-vfd /etc/vfd/vfd.cfg /var/lib/vfd/config /etc/nicvisor --eswitch switchdev --link-speed 25000',
    )
    .action(
      async (vfdCfg: string, vfdDir: string, outDir: string | undefined, opts: ImportOptions) => {
        if (!outDir && !opts.review)
          throw new CliError(
            'import-vfd needs OUT_DIR, or --review DIR to look at the result first',
            EXIT.usage,
          );
        if (outDir && opts.review)
          throw new CliError(
            'give OUT_DIR or --review DIR, not both: review writes nothing to install',
            EXIT.usage,
          );
        const target = targetOf(opts);
        const cfg = await readVfd(vfdCfg);
        const names = (await readdir(vfdDir)).filter((n) => n.endsWith('.json')).sort();
        const files = await Promise.all(names.map((n) => readVfd(join(vfdDir, n))));
        const { importVfd } = await import('../vfd/import.js');
        const result = importVfd(cfg, files, target);
        const problems = await check(result, vfdCfg);

        if (opts.review) {
          const written = await writeConfig(opts.review, result);
          const report = join(opts.review, 'report.txt');
          await writeText(report, reportText(target, written, result.notes, problems));
          await writeText(
            join(opts.review, 'report.json'),
            json({ target, files: written, problems, notes: result.notes }),
          );
          const summary = {
            ok: problems.length === 0,
            dir: opts.review,
            files: written,
            problems,
            notes: result.notes,
          };
          if (opts.json) process.stdout.write(json(summary));
          else
            process.stdout.write(
              `review in ${opts.review}: ${result.vfs.length} VF policies, ${problems.length} problem(s), ${result.notes.length} note(s); read ${report}\n`,
            );
          if (problems.length > 0) process.exitCode = EXIT.error;
          return;
        }

        if (!opts.json)
          for (const n of result.notes) process.stderr.write(`note: ${noteLine(n)}\n`);
        if (problems.length > 0) {
          if (opts.json) process.stdout.write(json({ ok: false, problems, notes: result.notes }));
          else {
            for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
            process.stderr.write(
              `${problems.length} problem(s) in the converted configuration; nothing written. See them all with --review DIR, try --eswitch switchdev or --driver sim, or fix the VFd files.\n`,
            );
          }
          process.exitCode = EXIT.error;
          return;
        }
        const written = await writeConfig(outDir as string, result);
        if (opts.json)
          process.stdout.write(json({ ok: true, files: written, notes: result.notes }));
        else
          process.stdout.write(
            `wrote ${written[0]} (${result.main.pfs?.length ?? 0} PF(s)) and ${result.vfs.length} VF policies in ${join(outDir as string, 'vfs')}; ${result.notes.length} note(s) on stderr\n`,
          );
      },
    );
}
