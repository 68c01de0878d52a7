/**
 * The main config the daemon starts from. It is needed before anything else (it names the
 * driver and the state directory); when the file is refused, the main config of the last
 * committed configuration is used instead, so a bad hand edit never keeps the daemon down.
 */
import {
  DaemonSettings,
  isRecord,
  MainConfig,
  type Problem,
  type Sourced,
  ValidationError,
} from '../model/index.js';
import { validate } from '../policy/validate.js';
import { DEMO_CONFIG_LABEL, demoMainConfig } from './demo.js';
import { layout } from './layout.js';
import { readCommitted } from './store/committed.js';
import { readMainFile } from './store/disk.js';

export interface Boot {
  main: MainConfig;
  /** Refused: the file's problems (the daemon then runs the committed main config). */
  refused: Problem[];
}

async function fileDoc(configFile: string | null): Promise<Sourced | Problem> {
  if (!configFile) return { file: DEMO_CONFIG_LABEL, data: demoMainConfig() };
  const m = await readMainFile(configFile);
  return 'problem' in m ? m.problem : { file: configFile, data: m.data };
}

/** Where state lives, read from a main config even when the rest of it is refused. */
function stateDirOf(data: unknown, override: string | undefined): string {
  if (override) return override;
  const d = isRecord(data) && isRecord(data.daemon) ? data.daemon.stateDir : undefined;
  return typeof d === 'string' ? d : DaemonSettings.parse({}).stateDir;
}

export async function bootConfig(configFile: string | null, stateDir?: string): Promise<Boot> {
  const doc = await fileDoc(configFile);
  const data = 'data' in doc ? doc.data : undefined;
  const parsed = 'data' in doc ? MainConfig.safeParse(doc.data) : null;
  let main: MainConfig;
  let refused: Problem[] = [];
  if (parsed?.success) main = parsed.data;
  else {
    refused = 'data' in doc ? validate(doc, [], new Map()).problems : [doc];
    const record = await readCommitted(
      layout(configFile, stateDirOf(data, stateDir)).committedFile,
    );
    const committed = record ? MainConfig.safeParse(record.main.data) : null;
    if (!committed?.success) throw new ValidationError(refused);
    main = committed.data;
  }
  if (stateDir) main.daemon.stateDir = stateDir;
  return { main, refused };
}
