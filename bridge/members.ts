import type { MqttClient } from 'mqtt';
import { describeRobotMessage } from '../robots/urdf.js';
import type { FleetMember } from './fleet.js';
import { MqttRobotDriver } from './mqtt/robot-driver.js';
import type { RosArmDriver } from './ros/ros-arm-driver.js';
import { SafetyGate, type SafetyGateOptions } from './safety-gate.js';

/**
 * A robot on MQTT as a fleet member: waits for its retained description (validated), puts a safety
 * gate in front of its driver, feeds the gate's watchdog from its joint states and tells the gate when
 * the agent's link to the broker drops or comes back.
 */
export async function mqttMember(client: MqttClient, robotId: string, options: { prefix?: string; timeoutMs?: number; gate?: SafetyGateOptions } = {}): Promise<FleetMember> {
  const driver = await MqttRobotDriver.connect(client, robotId, { prefix: options.prefix, timeoutMs: options.timeoutMs, validate: describeRobotMessage });
  const gate = new SafetyGate(driver, { watchdogMs: 600, ...options.gate });
  return {
    id: robotId,
    transport: 'mqtt',
    gate,
    jointNames: driver.description.joints.map((j) => j.name),
    reportsKeys: driver.description.hand !== undefined,
    linkUp: () => client.connected,
    dispose: () => driver.dispose(),
  };
}

/** A ROS arm as a fleet member: the same gate, fed by /joint_states and told of rosbridge drops. */
export function rosMember(id: string, driver: RosArmDriver, options: { gate?: SafetyGateOptions } = {}): FleetMember {
  const gate = new SafetyGate(driver, { watchdogMs: 600, ...options.gate });
  gate.setConnected(driver.connected);
  return { id, transport: 'ros', gate, jointNames: driver.jointNames, linkUp: () => driver.connected, dispose: () => driver.close() };
}
