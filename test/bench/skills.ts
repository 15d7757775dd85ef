/**
 * Issue 9, acceptance 1: skills taught by demonstration on three bundled arms (the planar 3-joint
 * 'ur5e-planar', the 6-joint 'ur5e' and the 7-joint 'panda', both from their URDF): 24 seeded
 * demonstrations each (skill-demos.ts), 2 mrad gaussian sensor noise at 50 Hz, taught into one memory
 * per arm beside four melodies. Everything replayed comes from the memory's recall (spikes) of the
 * learned skill; errors are against the noiseless motion. The baseline is a one-shot DMP of 50 basis
 * functions per joint (dmp.ts) fitted to the same noisy demonstration.
 */
import { loadRobot } from '../../robots/load.js';
import type { RobotDescription } from '../../robots/description.js';
import { fitFactor } from '../../robots/motion/curve-limits.js';
import { keyframesToTrajectory } from '../../robots/motion/skill-trajectory.js';
import { completeVelocities, curvePeaks, retime, sampleCurve } from '../../robots/motion/spline.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { robotJoints, type SkillJoint } from '../../src/skills/demonstration.js';
import { extractKeyframes, type Keyframe } from '../../src/skills/keyframes.js';
import { PoseCode } from '../../src/skills/pose-code.js';
import { recallSkill, teachSkill } from '../../src/skills/skill.js';
import { recogniseSkill } from '../../src/skills/recognise-skill.js';
import { fitDmp, rolloutDmp } from './dmp.js';
import { divergence, peakRatio, recordDemo, skillDemos, type SkillDemo } from './skill-demos.js';

export const SKILL_ARMS = ['ur5e-planar', 'ur5e', 'panda'];
const NOISE = 0.002;
const RATE = 50;
const TEMPI = [0.5, 1, 2];

export interface ArmSkills {
  robot: RobotDescription;
  joints: SkillJoint[];
  memory: SequenceMemory;
  demos: SkillDemo[];
  /** The skills' names in the memory, in demo order. */
  skills: string[];
}

/** Teaches the arm's 24 demonstrations (seeded) into a fresh memory that already holds four melodies. */
export function teachArm(arm: string, seed: number, count = 24): ArmSkills & { taughtKeyframes: number[] } {
  const robot = loadRobot(arm);
  const joints = robotJoints(robot);
  const memory = new SequenceMemory();
  for (const m of bundledMelodies().slice(0, 4)) memory.learn(m.title, m.sequence);
  const demos = skillDemos(robot, seed, count);
  const taughtKeyframes: number[] = [];
  demos.forEach((d, i) => {
    const taught = teachSkill(memory, d.name, recordDemo(d, robot, seed * 1000 + i, { rate: RATE, noise: NOISE }), joints, { robot: arm });
    taughtKeyframes.push(taught.keyframes);
  });
  return { robot, joints, memory, demos, skills: demos.map((d) => d.name), taughtKeyframes };
}

/** A keyframe's noiseless pose: at its time, or, for a pause, the mean over its dwell. */
function truePose(demo: SkillDemo, k: Keyframe): number[] {
  if (k.dwell <= 0) return demo.at(k.time);
  const steps = Math.max(1, Math.round(k.dwell / 0.01));
  const mean = demo.at(k.time).map(() => 0);
  for (let s = 0; s <= steps; s++) demo.at(k.time + (k.dwell * s) / steps).forEach((q, j) => (mean[j]! += q / (steps + 1)));
  return mean;
}

const rms = (xs: readonly number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / Math.max(1, xs.length));

/**
 * Recognition row: for every skill, a fresh demonstration of the same motion (new noise) cut at 30, 50
 * and 70% of its length, asked "what is this skill?" (recogniseSkill: its coarse path heard by the
 * memory, as the identify-skill command asks it). Where the cut still lies inside an opening the skill
 * shares with others (no other skill's motion differs from it by more than 20 mrad yet), the right
 * answer is a tie that includes it; elsewhere the skill itself, alone or at the head of a tie.
 */
export interface RecognitionRow {
  share: number;
  /** Cuts past the point where the skill differs from every other. */
  distinct: number;
  /** ... whose first-ranked skill is the right one. */
  top1: number;
  /** ... named alone (no tie) and right. */
  alone: number;
  /** ... answered with a tie that includes the right one. */
  tiedRight: number;
  /** ... named alone, wrongly. */
  wrong: number;
  /** Cuts still inside a shared opening. */
  shared: number;
  /** ... answered with a tie that includes the right one. */
  tied: number;
  /** Answers with no match at all. */
  none: number;
}

export function recognitionRows(a: ArmSkills, seed: number): RecognitionRow[] {
  const diverge = a.demos.map((_, i) => divergence(a.demos, i));
  return [0.3, 0.5, 0.7].map((share) => {
    const row: RecognitionRow = { share, distinct: 0, top1: 0, alone: 0, tiedRight: 0, wrong: 0, shared: 0, tied: 0, none: 0 };
    a.demos.forEach((d, i) => {
      const cut = share * d.length;
      const fresh = recordDemo(d, a.robot, seed * 7919 + i, { rate: RATE, noise: NOISE, until: cut });
      const r = recogniseSkill(a.memory, fresh, a.joints);
      if (r.matches.length === 0) row.none++;
      const inTie = r.tie?.includes(d.name) ?? false;
      if (cut > diverge[i]!) {
        row.distinct++;
        if (r.matches[0]?.skill === d.name) row.top1++;
        if (r.best === d.name) row.alone++;
        else if (r.best) row.wrong++;
        if (inTie) row.tiedRight++;
      } else {
        row.shared++;
        if (inTie) row.tied++;
      }
    });
    return row;
  });
}

/** Runs the skills bench and prints it. */
export function benchSkills(log: (s?: string) => void, options: { seed?: number; count?: number } = {}): void {
  const seed = options.seed ?? 9;
  const count = options.count ?? 24;
  log(`== Skills by demonstration (issue 9): ${count} seeded demonstrations per arm, 5-30 waypoints, groups of 3 sharing an opening, ${NOISE * 1000} mrad gaussian noise at ${RATE} Hz; replay from memory recall`);
  for (const arm of SKILL_ARMS) {
    const started = performance.now();
    const a = teachArm(arm, seed, count);
    const { robot, joints, memory, demos } = a;
    const code = PoseCode.forJoints(joints, { maxSymbol: memory.params.maxSymbol });
    const range = joints.map((j) => j.max - j.min);
    const poseErr: number[] = [];
    let poseMax = 0;
    let recalledKf = 0;
    let incomplete = 0;
    let timingMemory = 0;
    let pauseTiming = 0;
    let pauseTimingSensed = 0;
    let truePauses = 0;
    let foundPauses = 0;
    let splitPauses = 0;
    const replayErr: number[] = [];
    const dmpErr: number[] = [];
    const overall = { speed: 0, accel: 0 };
    const limits = TEMPI.map((tempo) => ({ tempo, speed: 0, accel: 0, over: 0, slowest: 1, executed: 0 }));
    /** Per skill: the replay's peak acceleration at 1x over the demonstration's (both as shares of the limit). */
    const accelRatio: number[] = [];
    demos.forEach((d, i) => {
      const r = recallSkill(memory, d.name);
      recalledKf += r.keyframes.length;
      incomplete += r.incomplete;
      // keyframe poses against the noiseless motion
      for (const k of r.keyframes) {
        const truth = truePose(d, k);
        k.positions.forEach((q, j) => {
          const e = q - truth[j]!;
          poseErr.push(e);
          poseMax = Math.max(poseMax, Math.abs(e));
        });
      }
      // timing: recall against the keyframes extracted from the same samples, and pauses against the true ones
      const samples = recordDemo(d, robot, seed * 1000 + i, { rate: RATE, noise: NOISE });
      const direct = extractKeyframes(samples, { tolerance: Math.max(0.02, ...joints.map((_, j) => code.resolution(j))) });
      r.keyframes.forEach((k, n) => {
        const want = direct[n];
        if (want) timingMemory = Math.max(timingMemory, Math.abs(k.time - want.time) / d.length, Math.abs(k.dwell - want.dwell) / d.length);
      });
      const held = r.keyframes.filter((k) => k.dwell > 0);
      for (const [ta, tb] of d.pauses) {
        truePauses++;
        const over = held.filter((k) => k.time < tb && k.time + k.dwell > ta);
        if (over.length > 1) splitPauses++;
        if (over.length === 0) continue;
        foundPauses++;
        const start = over[0]!.time;
        const end = over[over.length - 1]!.time + over[over.length - 1]!.dwell;
        pauseTiming = Math.max(pauseTiming, Math.abs(start - ta) / d.length, Math.abs(end - tb) / d.length);
        // what a sensor can tell: the span in which the noiseless arm is within the noise of the held pose
        const pose = d.at(ta);
        const within = (t: number) => d.at(t).every((q, j) => Math.abs(q - pose[j]!) <= NOISE);
        let sa = ta;
        let sb = tb;
        while (sa > 0 && within(sa - 0.001)) sa -= 0.001;
        while (sb < d.length && within(sb + 0.001)) sb += 0.001;
        pauseTimingSensed = Math.max(pauseTimingSensed, Math.abs(start - sa) / d.length, Math.abs(end - sb) / d.length);
      }
      // replay against the noiseless motion, side by side with the DMP, at the sample times
      const pts = completeVelocities(keyframesToTrajectory(r.keyframes, 0));
      const times = samples.map((s) => s.time);
      const dmp = rolloutDmp(fitDmp(samples, 50), times);
      times.forEach((t, n) => {
        const truth = d.at(t);
        const q = sampleCurve(pts, t).positions;
        truth.forEach((x, j) => {
          replayErr.push((q[j]! - x) / range[j]!);
          dmpErr.push((dmp[n]![j]! - x) / range[j]!);
        });
      });
      // limits of the executed curve at each tempo, recalled at that tempo
      let replayAccel1x = 0;
      for (const lim of limits) {
        const rt = lim.tempo === 1 ? r : recallSkill(memory, d.name, { tempo: lim.tempo });
        const full = completeVelocities(keyframesToTrajectory(rt.keyframes, 0));
        const peaks = curvePeaks(full);
        let over = false;
        let skillAccel = 0;
        peaks.forEach((p, j) => {
          const s = p.maxSpeed / robot.joints[j]!.maxSpeed;
          const ac = p.maxAccel / robot.joints[j]!.maxAccel;
          lim.speed = Math.max(lim.speed, s);
          lim.accel = Math.max(lim.accel, ac);
          skillAccel = Math.max(skillAccel, ac);
          if (s > 1 || ac > 1) over = true;
        });
        if (lim.tempo === 1) replayAccel1x = skillAccel;
        // what the arm executes: the curve as recalled, or slowed by the safety gate's fit where it is over
        let executed = Math.max(...peaks.map((p, j) => Math.max(p.maxSpeed / robot.joints[j]!.maxSpeed, p.maxAccel / robot.joints[j]!.maxAccel)));
        if (over) {
          lim.over++;
          const from = { ...full[0]!, time: -1 };
          const f = fitFactor(robot.joints, full, from);
          lim.slowest = Math.min(lim.slowest, f ?? 0);
          executed = f === undefined ? Infinity : Math.max(...curvePeaks(retime(full, f, from.time)).map((p, j) => Math.max(p.maxSpeed / robot.joints[j]!.maxSpeed, p.maxAccel / robot.joints[j]!.maxAccel)));
        }
        lim.executed = Math.max(lim.executed, executed);
      }
      const demoPeak = peakRatio(d.at, d.length, robot);
      accelRatio.push(replayAccel1x / demoPeak.accel);
      overall.speed = Math.max(overall.speed, demoPeak.speed);
      overall.accel = Math.max(overall.accel, demoPeak.accel);
    });
    const kfTaught = a.taughtKeyframes.reduce((x, y) => x + y, 0);
    const res = joints.map((_, j) => code.resolution(j) * 1000);
    log(`-- ${arm}: ${joints.length} joints, pose code ${code.coarse[0]} coarse x ${code.fine[0]} fine columns per joint (resolution ${Math.min(...res).toFixed(2)}-${Math.max(...res).toFixed(2)} mrad); ${kfTaught} keyframes taught (${Math.min(...a.taughtKeyframes)}-${Math.max(...a.taughtKeyframes)} per skill), ${recalledKf} recalled, ${incomplete} incomplete`);
    log(`   keyframe pose error vs noiseless motion: RMS ${(rms(poseErr) * 1000).toFixed(2)} mrad, max ${(poseMax * 1000).toFixed(2)} mrad (target RMS < ${NOISE * 1000} mrad, the sensor noise)`);
    log(`   replay RMS vs noiseless motion: engram ${(100 * rms(replayErr)).toFixed(3)}% of joint range, DMP (50 basis functions) ${(100 * rms(dmpErr)).toFixed(3)}% (target: engram below the DMP)`);
    log(`   keyframe timing: recall vs taught largest ${(100 * timingMemory).toFixed(3)}% of length; pauses ${foundPauses}/${truePauses} found, ${splitPauses} split; pause start/end largest error ${(100 * pauseTiming).toFixed(2)}% of length against the exact dwell (target <= 1%); ${(100 * pauseTimingSensed).toFixed(2)}% against the span in which the noiseless arm is within the noise of its pose (what a sensor can see; edges are fitted to where the arm really stops, inside that span)`);
    for (const lim of limits) {
      const fit = lim.over ? `; the safety gate's fit slows those (slowest by ${lim.slowest.toFixed(2)}), so the executed motion peaks at ${lim.executed.toFixed(2)} of a limit` : '';
      log(`   at ${String(lim.tempo).padStart(3)}x: the curve as recalled peaks at speed ${lim.speed.toFixed(2)} and acceleration ${lim.accel.toFixed(2)} of their limits; skills over a limit ${lim.over}/${demos.length} (target: none)${fit}`);
    }
    const sortedRatio = [...accelRatio].sort((x, y) => x - y);
    log(`   (the demonstrations themselves peak at ${overall.speed.toFixed(2)} of a speed limit and ${overall.accel.toFixed(2)} of an acceleration limit at 1x, so ${(overall.accel * 4).toFixed(2)} at 2x; replay over demonstration peak acceleration per skill at 1x: median ${sortedRatio[sortedRatio.length >> 1]!.toFixed(2)}, largest ${sortedRatio[sortedRatio.length - 1]!.toFixed(2)})`);
    const rows = recognitionRows(a, seed);
    const text = rows
      .map((r) => `${Math.round(r.share * 100)}%: top-1 ${r.top1}/${r.distinct} (named alone ${r.alone}, tie with it ${r.tiedRight}, wrong ${r.wrong}), shared openings: tie reported ${r.tied}/${r.shared}, no match ${r.none}`)
      .join('; ');
    log(`   recognition of a fresh demonstration's start (its coarse path, identify-skill): ${text}`);
    log(`   (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  log();
}
