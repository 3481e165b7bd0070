// The shared config at the repository root is the one this app runs with. Next loads this file
// from a string, so start Next from example-app/ for the relative import to resolve.
export { default } from '../next.config.ts';
