// The shared config at the repository root is the one this app runs with.
export { default } from '../next.config.ts';
