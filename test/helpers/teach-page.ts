import type { Page } from 'playwright-core';

type Teach = Window['engramTeach'];

/**
 * The teach panel driven as a person would, for the browser tests: its state, the sliders, waits on
 * the robot's joint states (never on the clock), and Resume when the arm's watchdog stopped it. On a
 * machine loaded by other suites the agent's joint states can stall past the watchdog (0.5 s); the
 * arm stops, as a real one would, and a person presses Resume and does the step again.
 */
export class TeachPage {
  /** `session.page`: the page, read when a step runs (a describe block's session opens it before the tests). */
  constructor(readonly session: { readonly page: Page }) {}

  get page(): Page {
    return this.session.page;
  }

  /** The panel's state, as plain data. */
  teach(): Promise<Teach> {
    return this.page.evaluate(() => JSON.parse(JSON.stringify(window.engramTeach)) as Teach);
  }

  /** Whether the chosen arm is stopped, as the panel shows it (its Resume button). */
  stopped(): Promise<boolean> {
    return this.page.locator('#teach-resume').isVisible();
  }

  /** Whether the chosen arm's watchdog stopped it (no joint state for a while), as the panel says. */
  async watchdogStopped(): Promise<boolean> {
    return /no joint state/.test((await this.page.locator('#teach-stopped').textContent()) ?? '');
  }

  /** The arm ready to move: Resume pressed if it is stopped. */
  async ready(): Promise<void> {
    if (!(await this.stopped())) return;
    await this.page.locator('#teach-resume').click();
    await this.page.waitForFunction(() => document.querySelector<HTMLElement>('#teach-resume')!.hidden, undefined, { timeout: 10_000 });
  }

  /**
   * Runs a step with the arm; when its watchdog stopped it meanwhile, a person would let go, stop a
   * recording under way, resume it and do the step again: so does this, once.
   */
  async withArm<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (!(await this.watchdogStopped())) throw err;
      await this.page.mouse.up();
      if (await this.page.locator('#teach-stop').isEnabled()) await this.page.locator('#teach-stop').click();
      await this.ready();
      return step();
    }
  }

  /**
   * Record with a count-in of `countIn` s: the panel counts in first (checked, when there is one),
   * then records; resolves once it records.
   */
  async record(countIn: '0' | '1' | '3' = '0'): Promise<void> {
    await this.page.locator('#teach-count-in').selectOption(countIn);
    await this.page.locator('#teach-record').click();
    if (countIn !== '0' && (await this.teach()).phase !== 'count-in') throw new Error(`Record with a ${countIn} s count-in did not count in`);
    await this.page.waitForFunction(() => window.engramTeach.phase === 'recording', undefined, { timeout: 10_000 });
  }

  /** Stop a recording; throws when the arm's watchdog stopped it meanwhile (withArm then does it again). */
  async stopRecording(): Promise<void> {
    await this.page.locator('#teach-stop').click();
    if (await this.watchdogStopped()) throw new Error('the arm was stopped while recording');
  }

  /** Names the recording `name` and presses Teach; resolves with the panel's state once the memory learned it or refused it. */
  async save(name: string): Promise<Teach> {
    await this.page.locator('#teach-name').fill(name);
    await this.page.locator('#teach-save').click();
    await this.page.waitForFunction((n) => window.engramTeach.message.startsWith(`learned ${n}`) || window.engramTeach.message.startsWith('not taught'), name, { timeout: 30_000 });
    return this.teach();
  }

  /** Sets joint sliders (index -> rad) and jogs there, as dragging them does. */
  slide(targets: Record<number, number>): Promise<void> {
    return this.page.evaluate((t) => {
      const inputs = [...document.querySelectorAll<HTMLInputElement>('.teach-sliders input')];
      let last: HTMLInputElement | null = null;
      for (const [j, q] of Object.entries(t)) (inputs[Number(j)]!.value = String(q)), (last = inputs[Number(j)]!);
      last?.dispatchEvent(new Event('input', { bubbles: true }));
    }, targets);
  }

  /** Waits until the arm reports these joints (index -> rad) within 0.01 rad; says where it is when not. */
  async arrive(targets: Record<number, number>): Promise<void> {
    try {
      await this.page.waitForFunction((t) => Object.entries(t).every(([j, q]) => Math.abs(window.engramTeach.positions![Number(j)]! - q) < 0.01), targets, { timeout: 20_000 });
    } catch (err) {
      const t = await this.teach();
      throw new Error(`the arm did not arrive at ${JSON.stringify(targets)}: at ${JSON.stringify(t.positions)}; jogs ${JSON.stringify(t.jog)}; ${t.message}`, { cause: err });
    }
  }

  /**
   * Waits until the arm's joint states stop changing (the last jog done): the same to `decimals` rad
   * for `polls` polls in a row, 30 ms apart.
   */
  async settle(decimals = 4, polls = 15): Promise<void> {
    await this.page.evaluate(() => {
      const w = window as unknown as { __last?: string; __same?: number };
      w.__last = undefined;
      w.__same = 0;
    });
    await this.page.waitForFunction(
      ([d, k]) => {
        const w = window as unknown as { __last?: string; __same?: number };
        const now = JSON.stringify(window.engramTeach.positions!.map((q) => q.toFixed(d)));
        w.__same = now === w.__last ? (w.__same ?? 0) + 1 : 0;
        w.__last = now;
        return w.__same > k;
      },
      [decimals, polls] as const,
      { timeout: 20_000, polling: 30 },
    );
  }

  /** Waits for `n` more joint states recorded (the arm holding still meanwhile makes a pause). */
  async hold(n: number): Promise<void> {
    const from = (await this.teach()).samples;
    await this.page.waitForFunction(([f, k]) => window.engramTeach.samples >= f + k, [from, n] as const, { timeout: 20_000 });
  }

  /**
   * Waits until robot `id` reports its gripper at `closure` and the 3D view draws it so; fails at once
   * when the gripper command was refused or the arm stopped, saying which.
   */
  async gripperAt(id: string, closure: number): Promise<void> {
    const refusedBefore = (await this.teach()).gripper.refused;
    await this.page.waitForFunction(
      ([r, c, refused]) =>
        (window.engramTeach.gripper.closure === c && window.__engramView.gripperShown(r as string) === c) ||
        window.engramTeach.gripper.refused > (refused as number) ||
        !document.querySelector<HTMLElement>('#teach-resume')!.hidden,
      [id, closure, refusedBefore] as const,
      { timeout: 10_000 },
    );
    const t = await this.teach();
    const shown = await this.page.evaluate((r) => window.__engramView.gripperShown(r), id);
    if (t.gripper.closure === closure && shown === closure) return;
    const stop = (await this.stopped()) ? `; the arm is ${(await this.page.locator('#teach-stopped').textContent()) ?? 'stopped'}` : '';
    throw new Error(`the gripper of ${id} is not at ${closure}: reported ${t.gripper.closure}, drawn ${shown}; ${t.gripper.error ?? 'no error'}${stop}`);
  }
}
