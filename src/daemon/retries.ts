/**
 * Backoff for failed VFs: 0.5 s, 1 s, 2 s … up to 30 s between attempts, one timer for
 * all of them. Other VFs are never held up by a failing one.
 */
const BASE_MS = 500;
const MAX_MS = 30_000;

export class Retries {
  private readonly due = new Map<string, { attempts: number; at: number }>();
  private readonly fire: (names: string[]) => void;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(fire: (names: string[]) => void) {
    this.fire = fire;
  }

  failed(name: string): void {
    if (this.stopped) return;
    const attempts = (this.due.get(name)?.attempts ?? 0) + 1;
    const delay = Math.min(MAX_MS, BASE_MS * 2 ** (attempts - 1));
    this.due.set(name, { attempts, at: Date.now() + delay });
    this.schedule();
  }

  succeeded(name: string): void {
    this.due.delete(name);
  }

  /** A retry is scheduled: the drift loop leaves the VF to it. */
  waiting(name: string): boolean {
    return this.due.has(name);
  }

  attempts(name: string): number {
    return this.due.get(name)?.attempts ?? 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const ats = [...this.due.values()].map((d) => d.at).filter(Number.isFinite);
    if (ats.length === 0) return;
    const next = Math.min(...ats);
    this.timer = setTimeout(() => this.run(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private run(): void {
    this.timer = null;
    const now = Date.now();
    const names = [...this.due].filter(([, d]) => d.at <= now).map(([n]) => n);
    // Keep the attempt count (so backoff grows) but make them due again only on failure.
    for (const n of names) this.due.set(n, { ...this.due.get(n)!, at: Number.POSITIVE_INFINITY });
    if (names.length > 0) this.fire(names);
    this.schedule();
  }
}
