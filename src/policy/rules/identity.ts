import { isVfName, VF_NAME_ALLOWED, vfKey } from '../../model/index.js';
import {
  listSome,
  pfOf,
  type Rule,
  type RuleContext,
  type SourcedPolicy,
  vfLabel,
  vfProblem,
} from './context.js';

/** The file's base name without `.json`, when the source is a `NAME.json` file. */
function fileStem(file: string): string | null {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.endsWith('.json') ? base.slice(0, -'.json'.length) : null;
}

/** VF names become file names (model/names.ts says why), equal to the file's name. */
export const nameRules: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const { name } = s.policy;
    if (!isVfName(name)) {
      out.push(
        vfProblem(s, {
          field: 'name',
          value: name,
          allowed: VF_NAME_ALLOWED,
          fix: 'rename the VF, e.g. "web-1"',
          what: `name ${JSON.stringify(name)} is not a valid VF name`,
        }),
      );
      continue;
    }
    const stem = fileStem(s.file);
    if (stem !== null && stem !== name) {
      out.push(
        vfProblem(s, {
          field: 'name',
          value: name,
          allowed: `"${stem}" (the file name)`,
          fix: `rename the file to ${name}.json or set "name" to "${stem}"`,
          what: `name "${name}" does not match its file name ${stem}.json`,
        }),
      );
    }
  }
};

/** Names are unique across files: the second and later files with a name are reported. */
export const duplicateNames: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const first = ctx.byName.get(s.policy.name);
    if (first && first !== s) {
      out.push(
        vfProblem(s, {
          field: 'name',
          value: s.policy.name,
          allowed: 'a name no other VF policy uses',
          fix: `rename one of ${first.file} and ${s.file}`,
          what: `name "${s.policy.name}" is also used by ${first.file}`,
        }),
      );
    }
  }
};

function knownPfList(ctx: RuleContext): string {
  const ids = ctx.config.pfs.map((p) => p.pf);
  return ids.length > 0 ? listSome(ids, 8) : 'none (pfs is empty)';
}

/** Each VF names a PF that the main config lists and the driver discovered. */
export const pfExists: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const { pf } = s.policy;
    if (!ctx.pfIndex.has(pf)) {
      out.push(
        vfProblem(s, {
          field: 'pf',
          value: pf,
          allowed: knownPfList(ctx),
          fix: `use one of the PFs in the main config, or add ${pf} to its "pfs"`,
          what: `PF ${pf} is not in the main config's pfs`,
        }),
      );
    }
  }
};

/** `(pf, vf)` is unique and `vf < numVfs` of its PF. */
export const vfIndexRules: Rule = (ctx, out) => {
  const seen = new Map<string, SourcedPolicy>();
  for (const s of ctx.vfs) {
    const { pf, vf } = s.policy;
    const key = vfKey(pf, vf);
    const first = seen.get(key);
    if (first) {
      out.push(
        vfProblem(s, {
          field: 'vf',
          value: vf,
          allowed: 'a VF index no other policy on this PF uses',
          fix: `give ${s.policy.name} a free VF index or remove one of the two policies`,
          what: `VF index ${vf} is already taken by ${vfLabel(first.policy)} (${first.file})`,
        }),
      );
    } else seen.set(key, s);
    const pfPolicy = pfOf(ctx, pf);
    if (pfPolicy && vf >= pfPolicy.numVfs) {
      out.push(
        vfProblem(s, {
          field: 'vf',
          value: vf,
          allowed: pfPolicy.numVfs > 0 ? `0-${pfPolicy.numVfs - 1}` : 'none (numVfs is 0)',
          fix: `use a VF index below ${pfPolicy.numVfs} or raise numVfs of ${pf} to ${vf + 1}`,
          what: `VF index ${vf} is not below numVfs ${pfPolicy.numVfs} of the PF`,
        }),
      );
    }
  }
};
