import type { MqttClient } from 'mqtt';

/**
 * Sends every MQTT packet of this client at once (TCP_NODELAY), now and after each reconnect. Joint
 * states every 20 ms, heartbeats and trajectory commands are small packets: with Nagle's algorithm a
 * packet waits for the ACK of the one before, which Linux delays up to 40 ms, so joint states reached
 * the agent in pairs 40 ms apart. (mqtt.js does not pass noDelay to its socket; WebSocket streams have no
 * such switch and are left as they are.)
 */
export function sendAtOnce(client: MqttClient): MqttClient {
  const set = () => (client.stream as { setNoDelay?: (on: boolean) => unknown } | undefined)?.setNoDelay?.(true);
  set();
  client.on('connect', set);
  return client;
}
