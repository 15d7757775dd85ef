/**
 * Matter.js works best with bodies of tens to hundreds of units and steps of about a millisecond, so the
 * physics runs in millimetres and milliseconds (masses in kg), with y pointing down. Everything outside
 * sim/ is SI with y up; these convert at the boundary. (A torque in N m is the same number in
 * kg mm^2 / ms^2, so torques need no conversion.)
 */
export const MM = 1000; // model units per metre
export const toX = (m: number) => m * MM;
export const toY = (m: number) => -m * MM;
/** Angles: y down mirrors the plane, so a counter-clockwise angle (y up) is clockwise in Matter. */
export const toAngle = (a: number) => -a;
