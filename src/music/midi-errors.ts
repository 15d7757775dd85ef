/** A MIDI file that cannot be used; names the file and says what is wrong. */
export class MidiFileError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'MidiFileError';
    this.file = file;
  }
}
