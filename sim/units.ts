/**
 * Matter.js works best with bodies of tens to hundreds of units and steps of about a millisecond, so the
 * physics runs in millimetres and milliseconds (masses in kg), with y pointing down. Everything outside
 * sim/ is SI with y up; these convert at the boundary.
 */
export const MM = 1000; // model units per metre
export const toX = (m: number) => m * MM;
export const toY = (m: number) => -m * MM;
export const fromX = (u: number) => u / MM;
export const fromY = (u: number) => -u / MM;
/** Angles: y down mirrors the plane, so a counter-clockwise angle (y up) is clockwise in Matter. */
export const toAngle = (a: number) => -a;
export const fromAngle = (a: number) => -a;
/** Torque N m -> kg mm^2 / ms^2 (1 N m = 1 kg m^2/s^2 = 1e6 kg mm^2 / 1e6 ms^2). */
export const toTorque = (nm: number) => nm;
/** Acceleration m/s^2 -> mm/ms^2. */
export const toAccel = (ms2: number) => ms2 * 1e-3;
