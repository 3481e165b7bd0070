export type { Codec } from './codec.ts';
export { jsonCodec } from './json-codec.ts';
export { msgpackCodec } from './msgpack-codec.ts';
