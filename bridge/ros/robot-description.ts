import { join } from 'node:path';
import { Topic } from 'roslib';
import type { RobotDescription } from '../../robots/description.js';
import { loadSidecar, robotsDir } from '../../robots/load.js';
import { robotFromUrdf, validateSidecar, type Sidecar } from '../../robots/urdf.js';
import type { RosLink } from './ros-link.js';

export interface RosDescriptionOptions {
  rosVersion: 1 | 2;
  /** ROS 1: the parameter holding the URDF (default /robot_description). */
  param?: string;
  /** ROS 2: the node whose robot_description parameter holds the URDF (default robot_state_publisher). */
  node?: string;
  /**
   * The latched std_msgs/String topic tried after the parameter (default /robot_description on ROS 2,
   * where robot_state_publisher republishes it; none on ROS 1). null: do not try a topic.
   */
  topic?: string | null;
  /** How long each attempt may take, ms. */
  timeoutMs?: number;
}

/** The URDF text and where it came from (for error messages about it). */
export interface UrdfFromRos {
  urdf: string;
  where: string;
}

/** No robot description could be read from the robot: the message says what was tried and what each answered. */
export class RobotDescriptionUnavailable extends Error {
  readonly tried: string[];
  constructor(tried: string[]) {
    super(`robot description: none could be read from the robot (tried ${tried.join('; ')})`);
    this.name = 'RobotDescriptionUnavailable';
    this.tried = tried;
  }
}

/** URDF text larger than this is refused (a URDF with mesh file names is tens of kB). */
const MAX_CHARS = 4_000_000;

/** A parameter's value as rosapi encodes it (JSON), as URDF text; why not, otherwise. */
function urdfOf(value: unknown): string | { why: string } {
  if (typeof value !== 'string' || value === '') return { why: 'not set' };
  let decoded: unknown;
  try {
    decoded = JSON.parse(value);
  } catch {
    return { why: 'its value is not the JSON rosapi sends' };
  }
  return textOf(decoded);
}

function textOf(decoded: unknown): string | { why: string } {
  if (decoded === null || decoded === '') return { why: 'not set' };
  if (typeof decoded !== 'string') return { why: `it holds a ${Array.isArray(decoded) ? 'list' : typeof decoded}, not URDF text` };
  if (decoded.length > MAX_CHARS) return { why: `it holds ${decoded.length} characters, more than a URDF (${MAX_CHARS})` };
  if (!/<robot[\s>]/.test(decoded)) return { why: 'its text has no <robot> element: not URDF' };
  return decoded;
}

/**
 * Reads the robot's URDF from the robot, through rosbridge. ROS 1: the /robot_description parameter,
 * through rosapi (/rosapi/get_param, rosapi/GetParam: the value comes JSON-encoded). ROS 2:
 * robot_state_publisher's robot_description parameter through rosapi (name
 * "robot_state_publisher:robot_description", rosapi_msgs/srv/GetParam), then the latched
 * /robot_description topic (std_msgs/msg/String; a late subscriber can miss it through rosbridge,
 * rosbridge_suite issue #941, hence the parameter first and a timeout here). Connects the link if it is
 * not up. Throws RobotDescriptionUnavailable naming everything tried and what each answered.
 */
export async function readUrdfFromRos(link: RosLink, options: RosDescriptionOptions): Promise<UrdfFromRos> {
  const timeoutMs = options.timeoutMs ?? 3000;
  await link.connect(timeoutMs);
  const tried: string[] = [];
  const v2 = options.rosVersion === 2;
  const param = v2 ? `${(options.node ?? 'robot_state_publisher').replace(/^\//, '')}:robot_description` : (options.param ?? '/robot_description');
  const where = `parameter ${param} through /rosapi/get_param`;
  try {
    const args = v2 ? { name: param, default_value: '' } : { name: param, default: '' };
    const r = await link.call<{ value?: unknown; successful?: boolean; reason?: string }>('/rosapi/get_param', args, timeoutMs);
    const urdf = r?.successful === false ? { why: r.reason || 'rosapi says it failed' } : urdfOf(r?.value);
    if (typeof urdf === 'string') return { urdf, where: `robot_description (${where})` };
    tried.push(`${where}: ${urdf.why}`);
  } catch (err) {
    tried.push(`${where}: ${(err as Error).message}`);
  }
  const topic = options.topic === undefined ? (v2 ? '/robot_description' : null) : options.topic;
  if (topic) {
    const got = await latched(link, topic, v2 ? 'std_msgs/msg/String' : 'std_msgs/String', timeoutMs);
    if (typeof got === 'string') return { urdf: got, where: `robot_description (topic ${topic})` };
    tried.push(`topic ${topic}: ${got.why}`);
  }
  throw new RobotDescriptionUnavailable(tried);
}

/** The first message on a latched std_msgs/String topic, or why none came within timeoutMs. */
function latched(link: RosLink, name: string, messageType: string, timeoutMs: number): Promise<string | { why: string }> {
  return new Promise((resolve) => {
    const topic = new Topic<{ data?: unknown }>({ ros: link.ros, name, messageType, reconnect_on_close: false });
    const done = (r: string | { why: string }) => {
      clearTimeout(timer);
      topic.unsubscribe();
      resolve(r);
    };
    const timer = setTimeout(() => done({ why: `no message within ${timeoutMs} ms (is robot_state_publisher running? through rosbridge a late subscriber can miss a latched message)` }), timeoutMs);
    topic.subscribe((m) => done(textOf(m?.data)));
  });
}

export interface RosRobotOptions extends RosDescriptionOptions {
  /**
   * What URDF lacks (acceleration limits, which joints engram moves): a sidecar object, a sidecar file
   * (.json), or the name of a bundled robot whose sidecar fits (e.g. 'ur5e': robots/arms/ur5e.engram.json;
   * its `urdf` file is not read, the URDF is the robot's).
   */
  sidecar: Sidecar | string;
}

/**
 * The robot's description read from the robot itself (for `--ros-robot-description`): its URDF from
 * robot_description (readUrdfFromRos) with the sidecar, resolved by robotFromUrdf. Errors name what was
 * tried (RobotDescriptionUnavailable) or the URDF element and attribute (RobotDescriptionError, `where`
 * naming the parameter or topic it came from).
 */
export async function robotFromRos(link: RosLink, options: RosRobotOptions): Promise<RobotDescription> {
  const { sidecar, sidecarWhere } = sidecarOf(options.sidecar);
  const { urdf, where } = await readUrdfFromRos(link, options);
  return robotFromUrdf(urdf, sidecar, where, sidecarWhere);
}

function sidecarOf(s: Sidecar | string): { sidecar: Sidecar; sidecarWhere: string } {
  if (typeof s !== 'string') return { sidecar: validateSidecar(s, 'sidecar'), sidecarWhere: 'sidecar' };
  const file = s.endsWith('.json') ? s : join(robotsDir(), 'arms', `${s}.engram.json`);
  return { sidecar: loadSidecar(file), sidecarWhere: file };
}
