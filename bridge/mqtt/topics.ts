/**
 * The MQTT topic tree (prefix `engram` by default; all payloads JSON):
 *
 *   <prefix>/agent/cmd              commands in: {id, replyTo, command, ...arguments}
 *   <prefix>/agent/resp/<replyTo>   responses out: {id, ok: true, result} or {id, ok: false, error}
 *   <prefix>/agent/events           events out: {type, time, ...} (learned, performed, note, error)
 *   <prefix>/agent/state            retained: {online, titles, time}; the last will sets online false
 *
 * Correlation is in the payload (id, replyTo), so it works the same over MQTT 3.1.1 (aedes) and 5.
 */
export function agentTopics(prefix = 'engram') {
  return {
    cmd: `${prefix}/agent/cmd`,
    resp: (replyTo: string) => `${prefix}/agent/resp/${replyTo}`,
    events: `${prefix}/agent/events`,
    state: `${prefix}/agent/state`,
  };
}
