/**
 * The API client shared by CLI commands (and tests, benches): HTTP over the daemon's Unix
 * socket or TCP (with a bearer token), keep-alive, typed with the shared API types.
 */
import { Agent, request as httpRequest } from 'node:http';
import type {
  ApiError,
  ApplyBody,
  ApplyResultView,
  AuditPageView,
  ChangeResult,
  CredentialResult,
  DeleteResult,
  GuestDecisionView,
  GuestRequestBody,
  HealthView,
  LagView,
  LogLevelResult,
  MirrorBody,
  PfView,
  PutVfBody,
  ReloadResult,
  StatsView,
  ValidateBody,
  ValidateResult,
  VfHistory,
  VfRulesView,
  VfView,
} from '../model/index.js';
import { formatProblem } from '../model/plain.js';

export interface ClientOptions {
  socket?: string;
  url?: string;
  token?: string;
  /** Parallel connections kept open (benches). */
  maxSockets?: number;
}

export class ApiRequestError extends Error {
  readonly status: number;
  readonly body: ApiError;
  constructor(status: number, body: ApiError) {
    // The daemon's message often lists its problems already (DaemonError): print each once.
    const details = (body.problems ?? [])
      .map(formatProblem)
      .filter((line) => !body.error.includes(line))
      .map((line) => `\n  - ${line}`)
      .join('');
    super(`${body.error}${details}`);
    this.name = 'ApiRequestError';
    this.status = status;
    this.body = body;
  }
}

/** The daemon could not be reached at all (exit code 4 in the CLI). */
export class UnreachableError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'UnreachableError';
    this.code = code;
  }
}

export class ApiClient {
  private readonly opts: ClientOptions;
  private readonly agent: Agent;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 4 });
  }

  /** Where requests go, for messages. */
  get target(): string {
    return this.opts.url ?? `unix:${this.opts.socket}`;
  }

  close(): void {
    this.agent.destroy();
  }

  private where(path: string) {
    if (!this.opts.url) return { socketPath: this.opts.socket, path };
    const u = new URL(path, this.opts.url);
    return { hostname: u.hostname, port: u.port, path: u.pathname + u.search };
  }

  private reachError(err: NodeJS.ErrnoException): Error {
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')
      return new UnreachableError(
        `cannot reach the daemon at ${this.target} (${err.code}): is \`nicvisor serve\` running? pass --socket PATH or --url URL`,
        err.code,
      );
    if (err.code === 'EACCES')
      return new UnreachableError(
        `permission denied on ${this.target}: run as root or as a member of the socket's group`,
        err.code,
      );
    return err;
  }

  /**
   * A long GET (server-sent events): chunks go to onChunk as they arrive; resolves when the
   * daemon ends the stream, rejects on an error answer or when the connection fails.
   */
  stream(
    path: string,
    headers: Record<string, string>,
    onChunk: (text: string) => void,
    signal?: AbortSignal,
  ) {
    const h: Record<string, string> = { accept: 'text/event-stream', ...headers };
    if (this.opts.token) h.authorization = `Bearer ${this.opts.token}`;
    return new Promise<void>((resolve, reject) => {
      // A stream holds its connection for as long as it runs: not from the keep-alive pool.
      const req = httpRequest({ ...this.where(path), method: 'GET', headers: h, signal }, (res) => {
        res.setEncoding('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          let text = '';
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => {
            let body: ApiError;
            try {
              body = JSON.parse(text) as ApiError;
            } catch {
              body = { error: text || `HTTP ${status}` };
            }
            reject(new ApiRequestError(status, body));
          });
          return;
        }
        res.on('data', onChunk);
        res.on('end', () => resolve());
        // The daemon stopping mid-stream ends it too (a promise settles once).
        res.on('close', () => resolve());
        res.on('error', reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.reachError(err)));
      req.end();
    });
  }

  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    const where = this.where(path);
    return new Promise<T>((resolve, reject) => {
      const req = httpRequest({ ...where, method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data: unknown;
          try {
            data = text ? JSON.parse(text) : null;
          } catch {
            data = { error: text };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(data as T);
          else
            reject(new ApiRequestError(status, (data ?? { error: `HTTP ${status}` }) as ApiError));
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.reachError(err)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  health = () => this.request<HealthView>('GET', '/healthz');
  pfs = () => this.request<PfView[]>('GET', '/v1/pfs');
  lags = () => this.request<LagView[]>('GET', '/v1/lags');
  vfs = () => this.request<VfView[]>('GET', '/v1/vfs');
  vf = (name: string) => this.request<VfView>('GET', `/v1/vfs/${encodeURIComponent(name)}`);
  vfRules = (name: string) =>
    this.request<VfRulesView>('GET', `/v1/vfs/${encodeURIComponent(name)}/rules`);
  putVf = (name: string, body: PutVfBody) =>
    this.request<ChangeResult>('PUT', `/v1/vfs/${encodeURIComponent(name)}`, body);
  deleteVf = (name: string) =>
    this.request<DeleteResult>('DELETE', `/v1/vfs/${encodeURIComponent(name)}`);
  apply = (body: ApplyBody) => this.request<ApplyResultView>('POST', '/v1/apply', body);
  validate = (body: ValidateBody) => this.request<ValidateResult>('POST', '/v1/validate', body);
  setMirror = (name: string, body: MirrorBody) =>
    this.request<ChangeResult>('PUT', `/v1/vfs/${encodeURIComponent(name)}/mirror`, body);
  clearMirror = (name: string) =>
    this.request<ChangeResult>('DELETE', `/v1/vfs/${encodeURIComponent(name)}/mirror`);
  guestRequest = (name: string, body: GuestRequestBody) =>
    this.request<GuestDecisionView>('POST', `/v1/vfs/${encodeURIComponent(name)}/requests`, body);
  issueCredential = (name: string) =>
    this.request<CredentialResult>('POST', `/v1/vfs/${encodeURIComponent(name)}/credential`);
  stats = () => this.request<StatsView>('GET', '/v1/stats');
  auditPage = (q: { before?: number; limit?: number }) => {
    const params = new URLSearchParams();
    if (q.before !== undefined) params.set('before', String(q.before));
    if (q.limit !== undefined) params.set('limit', String(q.limit));
    const query = params.size > 0 ? `?${params}` : '';
    return this.request<AuditPageView>('GET', `/v1/audit${query}`);
  };
  history = (name: string, since?: number) =>
    this.request<VfHistory>(
      'GET',
      `/v1/vfs/${encodeURIComponent(name)}/history${since === undefined ? '' : `?since=${since}`}`,
    );
  reload = () => this.request<ReloadResult>('POST', '/v1/reload');
  setLogLevel = (level: string) => this.request<LogLevelResult>('PUT', '/v1/log-level', { level });
}
