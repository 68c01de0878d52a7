/**
 * Guest credentials: a random token per VF, issued by an admin (`POST
 * /v1/vfs/NAME/credential`), shown once, stored only as a SHA-256 hash (0600). A token lets
 * its holder post guest requests for that one VF and nothing else.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileDurable } from '../fsutil.js';
import { Mutex } from '../mutex.js';
import { readRegularFile } from '../safe-read.js';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Credentials {
  private readonly file: string;
  /** VF name → token hash. */
  private hashes = new Map<string, string>();
  /** Saves in call order, so an older map never overwrites a newer one. */
  private readonly mutex = new Mutex();

  constructor(file: string) {
    this.file = file;
  }

  /**
   * Load the hashes. Returns null when they loaded (or there are none yet), else why the
   * file was unusable: every guest token is then void, which the caller must say loudly
   * (it once happened without a log line).
   */
  async load(): Promise<string | null> {
    this.hashes = new Map();
    let text: string;
    try {
      text = readRegularFile(this.file).toString('utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      return (err as Error).message;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return `${this.file} is not valid JSON`;
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      return `${this.file} does not hold a JSON object`;
    const entries = Object.entries(data);
    this.hashes = new Map(entries.filter((e): e is [string, string] => typeof e[1] === 'string'));
    const bad = entries.length - this.hashes.size;
    return bad > 0 ? `${bad} entr${bad === 1 ? 'y' : 'ies'} of ${this.file} are not hashes` : null;
  }

  /** VF names holding a credential. */
  names(): string[] {
    return [...this.hashes.keys()];
  }

  has(name: string): boolean {
    return this.hashes.has(name);
  }

  /**
   * The VF name the token belongs to, or null. Comparing hashes (not tokens) leaks nothing
   * useful: a caller cannot steer the SHA-256 of its guess towards a stored hash.
   */
  verify(token: string): string | null {
    const h = hashToken(token);
    for (const [name, stored] of this.hashes) if (stored === h) return name;
    return null;
  }

  async issue(name: string): Promise<string> {
    const token = `nvg_${randomBytes(24).toString('base64url')}`;
    this.hashes.set(name, hashToken(token));
    await this.save();
    return token;
  }

  async revoke(name: string): Promise<boolean> {
    if (!this.hashes.delete(name)) return false;
    await this.save();
    return true;
  }

  private save(): Promise<void> {
    return this.mutex.run(() => this.write());
  }

  private async write(): Promise<void> {
    const data = Object.fromEntries([...this.hashes].sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFileDurable(this.file, `${JSON.stringify(data, null, 2)}\n`, 0o600);
  }
}
