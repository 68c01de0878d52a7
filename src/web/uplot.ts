/**
 * uPlot as the browser loads it: the daemon serves it from node_modules/uplot at
 * /ui/vendor/. Types come from the package; the module is imported by URL at run time (a
 * bare `import 'uplot'` would need an inline import map, which the page's CSP forbids).
 */
import type UPlot from 'uplot';

const url = '/ui/vendor/uPlot.esm.js';
const mod = (await import(url)) as { default: typeof UPlot };
export default mod.default;
