export * from './capabilities.js';
export * from './common.js';
export * from './config.js';
export * from './plan.js';
export * from './problem.js';
export * from './request.js';
export * from './state.js';
export * from './vf-policy.js';
