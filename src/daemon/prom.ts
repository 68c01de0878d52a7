/**
 * The four prom-client classes the daemon uses, loaded from their own files.
 *
 * prom-client's index requires everything it has on load: the default process metrics (whose
 * CPU metric requires @opentelemetry/api, 51 modules), the Pushgateway, the cluster
 * aggregator. None of it is used here. In a bare node the index costs +12 MiB RSS and these
 * four files +0.6 MiB; in the spawned daemon of 512 sim VFs (which loads node:http anyway) the
 * difference is ~0.7 MiB (bench/daemon.ts). prom-client 15 has no `exports` map, so its files
 * are reachable by path (the version is pinned by the lockfile); the types come from its index.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

const require = createRequire(import.meta.url);

export const Registry: typeof PromClient.Registry = require('prom-client/lib/registry');
export const Counter: typeof PromClient.Counter = require('prom-client/lib/counter');
export const Gauge: typeof PromClient.Gauge = require('prom-client/lib/gauge');
export const Histogram: typeof PromClient.Histogram = require('prom-client/lib/histogram');
export type Registry = PromClient.Registry;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
