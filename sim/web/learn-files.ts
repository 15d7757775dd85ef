/** What learning from the page has done, for people poking at it and for the browser test. */
export interface LearnState {
  /** One entry per file dropped or picked, in order: queued, learning, learned or failed (with the agent's error). */
  files: Array<{ name: string; title: string; state: 'queued' | 'learning' | 'learned' | 'failed'; notes?: number; error?: string }>;
}

/** The agent takes MIDI up to 4 MB of base64 (command-schemas.ts: learn.midi maxLength). */
const MAX_BYTES = 3_000_000;

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Learn from the page: MIDI files dropped on the library (or picked) are sent one after the other as the
 * agent's 'learn' command, titled by their file name, as `engram learn` does. Each file's line says
 * where it is (queued, learning, learned with its notes, or the agent's error naming what is wrong).
 */
export function learnFiles(drop: HTMLElement, picker: HTMLInputElement, log: HTMLUListElement, learned: (title: string) => void): LearnState {
  const state: LearnState = { files: [] };
  let queue: Promise<void> = Promise.resolve();

  const line = (f: LearnState['files'][number], li: HTMLLIElement) => {
    li.className = f.state === 'learned' ? 'ok' : f.state === 'failed' ? 'fail' : '';
    li.textContent =
      f.state === 'queued' ? `${f.name}: waiting` : f.state === 'learning' ? `${f.name}: learning…` : f.state === 'learned' ? `${f.name}: learned as “${f.title}”, ${f.notes} notes` : `${f.name}: not learned: ${f.error}`;
  };

  async function learnOne(file: File, f: LearnState['files'][number], li: HTMLLIElement): Promise<void> {
    f.state = 'learning';
    line(f, li);
    try {
      if (file.size > MAX_BYTES) throw new Error(`the file is ${(file.size / 1e6).toFixed(1)} MB; at most ${MAX_BYTES / 1e6} MB`);
      const midi = base64(new Uint8Array(await file.arrayBuffer()));
      const res = await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'learn', title: f.title, midi }) });
      const answer = (await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }))) as { ok: boolean; result?: { notes: number }; error?: string };
      if (!answer.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
      f.state = 'learned';
      f.notes = answer.result?.notes;
      learned(f.title);
    } catch (err) {
      f.state = 'failed';
      f.error = err instanceof TypeError ? 'the agent did not answer' : (err as Error).message;
    }
    line(f, li);
  }

  function add(files: FileList | File[]): void {
    for (const file of Array.from(files)) {
      const title = file.name.replace(/\.(mid|midi)$/i, '').trim().slice(0, 256) || 'untitled';
      const f: LearnState['files'][number] = { name: file.name, title, state: 'queued' };
      state.files.push(f);
      const li = document.createElement('li');
      line(f, li);
      log.prepend(li);
      while (log.children.length > 12) log.lastElementChild!.remove();
      queue = queue.then(() => learnOne(file, f, li));
    }
  }

  picker.addEventListener('change', () => {
    if (picker.files) add(picker.files);
    picker.value = '';
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer?.files.length) add(e.dataTransfer.files);
  });
  // the whole page takes a drop (a file let go beside the zone is not opened by the browser instead)
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.target !== drop && !drop.contains(e.target as Node) && e.dataTransfer?.files.length) add(e.dataTransfer.files);
  });
  return state;
}
