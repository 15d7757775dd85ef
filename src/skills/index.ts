export * from './demonstration.js';
export * from './keyframes.js';
export * from './pose-code.js';
export * from './skill.js';
export * from './coarse-path.js';
export * from './recognise-skill.js';
export * from './gripper.js';
