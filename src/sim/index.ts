// The simulated Proxmox VE cluster: `proxmox-mcp --demo` serves it, and the tests use it
// as the mock PVE that checks every request against the official API schema.
export { type ClusterSpec, demoCluster, generatedCluster, SimCluster } from "./cluster.ts";
export { type Fault, type FaultRule, type RecordedRequest, type Simulator, type SimulatorOptions, startSimulator } from "./server.ts";
export { checkRequest, checkReturns } from "./validate.ts";
