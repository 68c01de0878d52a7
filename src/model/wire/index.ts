/**
 * The wire contract: every body and answer of the API, declared once as zod schemas with
 * their TypeScript types inferred. It sits in the model, below everything, so the daemon
 * (which produces these values), the API (which validates and documents them), the CLI and
 * the dashboard share one definition and nothing below api/ needs to import from it.
 */
export * from './bodies.js';
export * from './events.js';
export * from './migration.js';
export * from './results.js';
export * from './views.js';
