/**
 * A small piano-like synthesiser for listening to a performance: each note is a few decaying
 * harmonics, summed into 16-bit mono PCM and wrapped as a WAV file.
 */
export interface SynthNote {
  pitch: number;
  time: number;
  duration: number;
  velocity?: number;
}

export function renderWav(notes: SynthNote[], sampleRate = 22050): Buffer {
  const end = notes.reduce((a, n) => Math.max(a, n.time + n.duration + 0.6), 0.1);
  const N = Math.ceil(end * sampleRate);
  const mix = new Float32Array(N);
  for (const n of notes) {
    const f = 440 * 2 ** ((n.pitch - 69) / 12);
    const amp = 0.18 * ((n.velocity ?? 80) / 127);
    const start = Math.floor(n.time * sampleRate);
    const len = Math.min(N - start, Math.ceil((n.duration + 0.5) * sampleRate));
    const decay = 1.5 + n.pitch / 40; // higher notes die away faster
    for (let i = 0; i < len; i++) {
      const t = i / sampleRate;
      // release: fade over 80 ms after the key comes up
      const rel = t > n.duration ? Math.max(0, 1 - (t - n.duration) / 0.08) : 1;
      const env = Math.exp(-decay * t) * rel * Math.min(1, t / 0.004);
      const w = 2 * Math.PI * f * t;
      mix[start + i]! += amp * env * (Math.sin(w) + 0.4 * Math.sin(2 * w) + 0.15 * Math.sin(3 * w));
    }
  }
  const out = Buffer.alloc(44 + N * 2);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + N * 2, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(N * 2, 40);
  for (let i = 0; i < N; i++) out.writeInt16LE(Math.round(32767 * Math.tanh(mix[i]!)), 44 + i * 2);
  return out;
}
