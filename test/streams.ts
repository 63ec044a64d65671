/** `countedStream`: the framework's test helper, shared by the demo's tests. */
export { countedStream } from "../packages/celeriac/test/streams";
