/** The `prunekit demo` job as a library function. */
export { runDemo, DEMO_DEFAULTS, DEMO_RATIOS, type DemoOptions, type DemoResult, type DemoModel } from './run-demo.js';
