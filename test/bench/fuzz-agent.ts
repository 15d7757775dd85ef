/**
 * The agent the fuzz benchmark attacks, in a process of its own (forked with an IPC channel): engram
 * serve as run-agent.ts wires it (memory and physics in worker threads, the embedded broker, the
 * simulated industrial arm sim-arm on MQTT, the ROS channel on the rosbridge given in argv[2]). It
 * reports its ports when up, and its RSS (current and peak) when asked. A crash ends the process. Its
 * broker takes the password and ACL files given in argv[4] and argv[5] (the fuzzer's login in them).
 */
import { runAgent } from '../../src/agent/run-agent.js';

const [rosUrl, memoryFile, passwordFile, aclFile] = process.argv.slice(2);
const agent = await runAgent({
  memoryFile: memoryFile!,
  host: '127.0.0.1',
  port: 0,
  mqttPort: 0,
  mqttPasswordFile: passwordFile,
  mqttAclFile: aclFile,
  simRobots: 0,
  simArm: true,
  mqttRobots: [],
  ros: rosUrl ? { url: rosUrl, version: 2 } : undefined,
  log: () => undefined,
});
const rss = () => ({ rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 });
process.on('message', (m: { type: string }) => {
  if (m.type === 'rss') process.send!({ type: 'rss', ...rss() });
  if (m.type === 'close') void agent.close().then(() => process.exit(0));
});
process.send!({ type: 'ready', httpPort: (agent.http.address() as { port: number }).port, mqttUrl: agent.mqttUrl, ...rss() });
