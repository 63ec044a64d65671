/** `escapeRegExp`: the framework's test helper, shared by the demo's tests. */
export { escapeRegExp } from "../packages/celeriac/test/regexp";
