import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import JSON5 from 'json5';
import { defaultCapabilityMap, formatProblem, MainConfig } from '../../model/index.js';
import { validate } from '../../policy/validate.js';
import { importVfd, type VfdInput } from '../vfd/import.js';

/** VFd read its files with a lenient parser; JSON5 accepts the comments and trailing commas. */
async function readVfd(file: string): Promise<VfdInput> {
  const text = await readFile(file, 'utf8');
  try {
    return { file, data: JSON5.parse(text) };
  } catch (err) {
    throw new Error(`${file}: cannot parse: ${(err as Error).message}`);
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, path);
}

/** `nicvisor import-vfd VFD_CFG VFD_CONFIG_DIR OUT_DIR` */
export function register(program: Command): void {
  program
    .command('import-vfd')
    .description("convert VFd's vfd.cfg and per-VF files into nicvisor files (validated first)")
    .argument('<vfdCfg>', "VFd's main config, e.g. /etc/vfd/vfd.cfg")
    .argument(
      '<vfdConfigDir>',
      "VFd's VF config directory (its *.json files), e.g. /var/lib/vfd/config",
    )
    .argument('<outDir>', 'where to write nicvisor.json and vfs/NAME.json')
    .action(async (vfdCfg: string, vfdDir: string, outDir: string) => {
      const cfg = await readVfd(vfdCfg);
      const names = (await readdir(vfdDir)).filter((n) => n.endsWith('.json')).sort();
      const files = await Promise.all(names.map((n) => readVfd(join(vfdDir, n))));
      const result = importVfd(cfg, files);
      for (const n of result.notes) process.stderr.write(`note: ${n.file}: ${n.key}: ${n.note}\n`);

      const mainFile = join(outDir, 'nicvisor.json');
      const vfFile = (name: string) => join(outDir, 'vfs', `${name}.json`);
      const config = MainConfig.safeParse(result.main);
      const caps = config.success ? defaultCapabilityMap(config.data) : new Map();
      const check = validate(
        { file: mainFile, data: result.main },
        result.vfs.map((v) => ({ file: vfFile(v.name), data: v })),
        caps,
      );
      if (check.problems.length > 0) {
        for (const p of check.problems) process.stderr.write(`${formatProblem(p)}\n`);
        process.stderr.write(
          `${check.problems.length} problem(s) in the converted configuration; nothing written. Fix the VFd files (or the notes above) and run again.\n`,
        );
        process.exitCode = 1;
        return;
      }
      await mkdir(join(outDir, 'vfs'), { recursive: true });
      await writeJson(mainFile, result.main);
      for (const v of result.vfs) await writeJson(vfFile(v.name), v);
      process.stdout.write(
        `wrote ${mainFile} (${result.main.pfs?.length ?? 0} PF(s)) and ${result.vfs.length} VF policies in ${join(outDir, 'vfs')}; ${result.notes.length} note(s) on stderr\n`,
      );
    });
}
