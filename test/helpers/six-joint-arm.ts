import type { JointLimits, RobotDescription } from '../../robots/description.js';

/** A UR5e-like 6-joint arm for tests (limits from UR's data sheet; accelerations as its ROS driver configures them). */
export const SIX_NAMES = ['shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint', 'wrist_1_joint', 'wrist_2_joint', 'wrist_3_joint'];
const joints: JointLimits[] = SIX_NAMES.map((name, j) => ({
  name,
  type: 'revolute',
  min: j === 2 ? -Math.PI : -2 * Math.PI,
  max: j === 2 ? Math.PI : 2 * Math.PI,
  maxSpeed: Math.PI,
  maxAccel: j < 3 ? 8 : 12,
  maxEffort: j < 3 ? 150 : 28,
}));
export const SIX: RobotDescription = { name: 'six-joint test arm', source: 'test', joints };
/** A pose well inside every range, arm folded over the base. */
export const HOME = [0, -1.57, 1.57, -1.57, -1.57, 0];
