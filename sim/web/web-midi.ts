/** Where MIDI input stands, in words a player can act on. */
export interface MidiState {
  status: 'off' | 'asking' | 'unsupported' | 'refused' | 'no-inputs' | 'listening';
  message: string;
  inputs: string[];
}

/**
 * A note-on or note-off from a MIDI message (any channel), or null for everything else. A note-on of
 * velocity 0 is a note-off, as the MIDI standard says.
 */
export function noteOf(data: ArrayLike<number> | null): { pitch: number; on: boolean } | null {
  if (!data || data.length < 3) return null;
  const kind = data[0]! & 0xf0;
  const pitch = data[1]! & 0x7f;
  if (kind === 0x90) return { pitch, on: (data[2]! & 0x7f) > 0 };
  if (kind === 0x80) return { pitch, on: false };
  return null;
}

/**
 * Listens to every MIDI input (navigator.requestMIDIAccess), including ones plugged in later, and
 * hands each note-on and note-off to `onNote`. Says why when it cannot: no Web MIDI in this browser
 * (Firefox before 108, Safari), permission refused, or nothing connected.
 */
export async function listenToMidi(onNote: (pitch: number, on: boolean) => void, onState: (s: MidiState) => void): Promise<MidiState> {
  const nav = navigator as Navigator & { requestMIDIAccess?: Navigator['requestMIDIAccess'] };
  const say = (s: MidiState) => (onState(s), s);
  if (typeof nav.requestMIDIAccess !== 'function') {
    return say({ status: 'unsupported', message: 'this browser has no Web MIDI (try Chrome or Edge): play on the keyboard above', inputs: [] });
  }
  say({ status: 'asking', message: 'asking the browser for MIDI input…', inputs: [] });
  let access: MIDIAccess;
  try {
    access = await nav.requestMIDIAccess({ sysex: false });
  } catch (err) {
    const name = (err as Error)?.name;
    const why = name === 'SecurityError' || name === 'NotAllowedError' ? 'MIDI access was refused' : 'MIDI could not be opened';
    return say({ status: 'refused', message: `${why}: allow MIDI for this page in the browser's site settings, or play on the keyboard above`, inputs: [] });
  }
  const attach = (): MidiState => {
    const names: string[] = [];
    access.inputs.forEach((input) => {
      if (input.state === 'disconnected') return;
      names.push(input.name || 'MIDI input');
      input.onmidimessage = (e) => {
        const n = noteOf(e.data);
        if (n) onNote(n.pitch, n.on);
      };
    });
    return names.length
      ? { status: 'listening', message: `MIDI: listening to ${names.join(', ')}`, inputs: names }
      : { status: 'no-inputs', message: 'MIDI: no input connected (plug one in: it is picked up at once)', inputs: [] };
  };
  access.onstatechange = () => say(attach());
  return say(attach());
}
